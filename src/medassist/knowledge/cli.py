"""``medassist kb``: check the knowledge base, generate synthetic patients, build phrase embeddings."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="The medical knowledge base.")


@app.command()
def check(path: Annotated[Path | None, typer.Argument(help="knowledge-base folder (default: shipped)")] = None) -> None:
    """Validate every file and cross-reference (and ICD-10-CM codes)."""
    from medassist.knowledge.check import main

    raise typer.Exit(main([str(path)] if path else []))


@app.command()
def selftest(
    ids: Annotated[list[str] | None, typer.Argument(help="condition ids (default: all)")] = None,
    n: Annotated[int, typer.Option(help="synthetic patients per condition")] = 20,
    below: Annotated[float, typer.Option(help="only print conditions whose top-3 is below this")] = 1.01,
) -> None:
    """For curators: top-1/top-3 of each condition on its own synthetic patients (reasoner + lexicon intake)."""
    from medassist.knowledge import KnowledgeBase
    from medassist.knowledge.check import selftest as run

    kb = KnowledgeBase.load()
    unknown = [c for c in ids or [] if c not in kb.conditions]
    if unknown:
        raise typer.BadParameter(f"unknown condition ids: {', '.join(unknown)}")
    res = run(kb, list(ids or sorted(kb.conditions)), n=n)
    for cid, r in res.items():
        if r["top3"] < below:  # type: ignore[operator]
            typer.echo(f"{cid:40s} top1 {r['top1']:.2f} top3 {r['top3']:.2f} unread/patient "
                       f"{r['present_findings_not_read_per_patient']} rivals {', '.join(r['rivals'])}")  # type: ignore[arg-type]
    vals = list(res.values())
    typer.echo(f"{len(vals)} conditions: mean top1 {sum(v['top1'] for v in vals) / len(vals):.3f}, "  # type: ignore[misc]
               f"mean top3 {sum(v['top3'] for v in vals) / len(vals):.3f}")  # type: ignore[misc]


@app.command()
def stats() -> None:
    """Counts by area, triage level and finding kind."""
    from medassist.knowledge import KnowledgeBase

    kb = KnowledgeBase.load()
    typer.echo(json.dumps({
        "version": kb.version,
        "conditions": len(kb.conditions),
        "findings": len(kb.findings),
        "red_flag_rules": len(kb.red_flags),
        "areas": dict(sorted(Counter(c.area for c in kb.conditions.values()).items())),
        "triage": dict(sorted(Counter(c.triage for c in kb.conditions.values()).items())),
        "finding_kinds": dict(sorted(Counter(f.kind for f in kb.findings.values()).items())),
    }, indent=2))


@app.command()
def synth(
    out: Annotated[Path, typer.Argument(help="JSONL file to write")],
    n: Annotated[int, typer.Option(help="number of patients")] = 1000,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    balanced: Annotated[bool, typer.Option(help="cycle through conditions instead of sampling by prior")] = False,
) -> None:
    """Synthetic patients (narrative, gold condition, triage, findings with spans) as JSONL."""
    from rich.progress import track

    from medassist.diagnosis.synthetic import PatientGenerator
    from medassist.knowledge import KnowledgeBase

    gen = PatientGenerator(KnowledgeBase.load(), seed=seed)
    with out.open("w", encoding="utf-8") as fh:
        for pat in track(gen.stream(n, balanced=balanced), total=n, description="patients"):
            row = pat.to_dict()
            row["label"] = row["condition"]
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    typer.echo(f"wrote {n} patients to {out}")


@app.command()
def embed() -> None:
    """Precompute the embeddings the package ships: intake phrases (MiniLM, and the fine-tuned intake encoder when
    shipped) and the normalisation index.

    Run after changing the knowledge base or the lexicons; a test checks that the shipped files match."""
    from medassist.diagnosis.intake import ARTIFACT as INTAKE_ARTIFACT
    from medassist.diagnosis.intake import Intake, IntakeSettings
    from medassist.knowledge import KnowledgeBase
    from medassist.models.embed import save_phrase_embeddings, shared_embedder
    from medassist.nlp.normalize import ARTIFACT as NORM_ARTIFACT
    from medassist.nlp.normalize import Normalizer

    kb = KnowledgeBase.load()
    intake_phrases = [p.text for p in Intake(kb, IntakeSettings(use_embeddings=False)).phrases]
    norm_phrases = [e[0] for e in Normalizer().index().entries]
    for phrases, target in ((intake_phrases, INTAKE_ARTIFACT), (norm_phrases, NORM_ARTIFACT)):
        emb = shared_embedder().encode(phrases)
        target.parent.mkdir(parents=True, exist_ok=True)
        save_phrase_embeddings(target, phrases, emb)
        typer.echo(f"{len(phrases)} phrases -> {target} ({target.stat().st_size / 1e6:.1f} MB)")
    from medassist.models.embed import INTAKE_ENCODER, encoder_key

    if (INTAKE_ENCODER / "intake_encoder.json").exists():  # the fine-tuned intake encoder ships its own phrase vectors
        target = INTAKE_ENCODER / "finding_phrases.npz"
        save_phrase_embeddings(target, intake_phrases, shared_embedder(str(INTAKE_ENCODER)).encode(intake_phrases),
                               encoder_key(str(INTAKE_ENCODER)))
        typer.echo(f"{len(intake_phrases)} phrases -> {target} ({target.stat().st_size / 1e6:.1f} MB)")
