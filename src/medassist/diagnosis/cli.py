"""``medassist consult``: the symptom checker on the command line."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from medassist.doc import TRIAGE_LEVELS, Assessment
from medassist.errors import MedAssistError

app = typer.Typer(no_args_is_help=True)

# one colour per triage level, most urgent first (medassist.doc.TRIAGE_LEVELS); blue when there is no level
_COLOURS = ("bold white on red", "bold white on red", "bold black on yellow", "bold black on cyan", "bold black on green")
COLOURS: dict[str | None, str] = {**dict(zip(TRIAGE_LEVELS, _COLOURS, strict=True)), None: "bold white on blue"}


def render(assessment: Assessment | dict[str, Any], console=None) -> None:  # noqa: ANN001
    result = assessment.to_dict() if isinstance(assessment, Assessment) else assessment
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    console = console or Console()
    tri = result["triage"] or {}
    level = tri.get("level")
    body = f"{tri.get('label', '')}\n{tri.get('advice', '')}"
    if tri.get("reasons"):
        body += "\n" + "\n".join(f"- {r}" for r in tri["reasons"])
    console.print(Panel(body, title="Triage", style=COLOURS.get(level, COLOURS[None])))
    for w in result.get("warnings", []):
        console.print(f"[yellow]{w}[/yellow]")
    if result.get("message"):
        console.print(result["message"])
    if result["findings"]:
        found = ", ".join(("" if f["present"] else "no ") + f["name"].lower() for f in result["findings"])
        console.print(f"[bold]What I understood:[/bold] {found}")
    if result["differential"]:
        table = Table(title="Possible conditions (not a diagnosis)", show_lines=False)
        table.add_column("condition")
        table.add_column("ICD-10")
        table.add_column("probability")
        table.add_column("evidence for / against")
        for d in result["differential"]:
            bar = "█" * max(1, round(d["probability"] * 20))
            pro = ", ".join(f"{e['name'].lower()} (x{e['likelihood_ratio']:g})" for e in d["evidence_for"][:3])
            con = ", ".join(f"no {e['name'].lower()}" if e["present"] is False else f"{e['name'].lower()} (usual; not mentioned)"
                            for e in d["evidence_against"][:3])
            table.add_row(d["name"], d["icd10"], f"{bar} {d['probability'] * 100:.0f}%",
                          (f"+ {pro}" if pro else "") + ("\n" if pro and con else "") + (f"- {con}" if con else ""))
        console.print(table)
        if result.get("not_covered_probability") is not None:
            console.print(f"Probability that this is something I do not cover: {result['not_covered_probability'] * 100:.0f}%")
    q = result.get("next_question")
    if q:
        console.print(f"[bold]Next question:[/bold] {q['question']}")
    console.print(f"[dim]{result['disclaimer']}[/dim]")


class ExplainBackend(StrEnum):
    extractive = "extractive"
    llm = "llm"


def _explainer(backend: ExplainBackend) -> tuple[Any, str | None]:
    """The explainer for ``--explain`` and, when a model was asked for but cannot be used, why not.

    ``extractive`` needs no model and no note pipeline; ``llm`` reads the ``MEDASSIST_LLM_*`` settings (as
    ``medassist summarize --backend llm`` does) and the note pipeline checks every sentence the model writes."""
    from medassist.generate.explain import Explainer

    if backend is ExplainBackend.extractive:
        return Explainer(None), None
    from medassist.generate.backends import fallback_reason, load_backend
    from medassist.generate.cli import llm_config

    try:
        cfg = llm_config()
    except MedAssistError as exc:  # a wrong setting is the user's to fix: stop
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    try:
        gen = load_backend(cfg)
    except MedAssistError as exc:  # not installed: say so, explain without a model
        typer.echo(f"{exc}\nFalling back to the extractive explanation.", err=True)
        return Explainer(None), fallback_reason(exc, "explanation")
    import medassist

    return Explainer(medassist.load("default"), gen, cfg), None


def explanation_of(explainer: Any, result: Assessment, fallback: str | None) -> Any:
    exp = explainer(result)
    if fallback and exp.fallback is None:
        exp.fallback = fallback
    return exp


def render_explanation(exp: Any) -> None:
    """The explanation as plain lines (no wrapping or styling: the safety text is printed exactly as written,
    first)."""
    typer.echo("\nIn plain words:")
    typer.echo(exp.text)
    if exp.fallback:
        typer.echo(exp.fallback, err=True)


def _engine(no_embeddings: bool):  # noqa: ANN202
    from medassist.diagnosis.engine import DiagnosisEngine

    return DiagnosisEngine.load(use_embeddings=False if no_embeddings else None)


@app.command()
def consult(
    text: Annotated[str | None, typer.Argument(help="what is wrong, in your own words")] = None,
    age: Annotated[float | None, typer.Option(help="age in years")] = None,
    sex: Annotated[str | None, typer.Option(help="f or m")] = None,
    interactive: Annotated[bool, typer.Option("--interactive", "-i", help="answer follow-up questions in the terminal")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    batch: Annotated[Path | None, typer.Option(help="JSONL file of {id, text, age, sex}; one JSON result per line")] = None,
    no_embeddings: Annotated[bool, typer.Option("--no-embeddings", help="lexicon-only intake (faster start)")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="add a plain-language explanation for the patient (the "
                                          "safety text first and exactly as written; 'explanation' in --json)")] = False,
    backend: Annotated[ExplainBackend, typer.Option(
        "--backend", help="who writes the explanation's body: extractive (no model, the default) or llm (the "
                          "MEDASSIST_LLM_* settings; every sentence checked against the result; never asked in an "
                          "emergency)")] = ExplainBackend.extractive,
) -> None:
    """Possible conditions, triage and the next question from a description of symptoms."""
    explainer, fallback = _explainer(backend) if explain else (None, None)
    if batch is not None:
        _batch(batch, no_embeddings, explainer, fallback)
        return
    if text is None:
        typer.secho('Describe the symptoms, e.g. medassist consult "sore throat and fever for 2 days" --age 30 --sex f',
                    fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    engine = _engine(no_embeddings)
    try:
        consultation = engine.start(text, age, sex)
        result = engine.assess(consultation)
        if interactive:
            from rich.console import Console

            console = Console()
            while result.next_question is not None:  # the engine ends the interview on an emergency
                q = result.next_question
                reply = typer.prompt(f"{q.question} [yes/no/dont_know]", default="dont_know")
                try:
                    engine.answer(consultation, q.finding, reply)
                except MedAssistError as exc:
                    console.print(f"[red]{exc}[/red]")
                    continue
                result = engine.assess(consultation)
    except MedAssistError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    exp = explanation_of(explainer, result, fallback) if explainer is not None else None
    if as_json:
        data = result.to_dict()
        if exp is not None:
            data["explanation"] = exp.to_dict()
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        render(result)
        if exp is not None:
            render_explanation(exp)


def _batch(path: Path, no_embeddings: bool, explainer: Any = None, fallback: str | None = None) -> None:
    if not path.is_file():
        typer.secho(f"{path}: file not found", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    engine = _engine(no_embeddings)
    ok = 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            ident: Any = f"{path.name}:{lineno}"
            try:
                item = json.loads(line)
                ident = item.get("id", ident)
                result = engine.consult(item.get("text", ""), item.get("age"), item.get("sex"))
                data = {"id": ident, **result.to_dict()}
                if explainer is not None:
                    data["explanation"] = explanation_of(explainer, result, fallback).to_dict()
                sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
                ok += 1
            except (json.JSONDecodeError, AttributeError) as exc:
                msg = f"{path.name}:{lineno}: not a JSON object ({exc.__class__.__name__}); skipped"
                sys.stdout.write(json.dumps({"id": ident, "error": msg}) + "\n")
                typer.secho(msg, fg=typer.colors.YELLOW, err=True)
            except MedAssistError as exc:
                sys.stdout.write(json.dumps({"id": ident, "error": str(exc)}) + "\n")
                typer.secho(f"{path.name}:{lineno}: {exc}", fg=typer.colors.YELLOW, err=True)
    if ok == 0:
        raise typer.Exit(1)
