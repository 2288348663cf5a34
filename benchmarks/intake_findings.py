"""Finding-level precision and recall of the intake on patients' own words (issue 11, intake encoder).

    python benchmarks/intake_findings.py                          # every mode, side by side
    python benchmarks/intake_findings.py --modes lexicon,minilm --show-errors

The set is ``benchmarks/data/patient_sentences.jsonl``: 181 texts written and labelled by hand before any
encoder training, for evaluation only (never for training or threshold tuning; see ``data/README.md``).
Before scoring, every labelled id is checked against the knowledge base: an unknown id stops the run.

Each text goes through ``DiagnosisEngine.start(text, age, sex)`` (reasoner only); what the intake read is the
consultation's observations.  A label is a pair (finding id, present).  Scores are micro-averaged over all
labels: ``strict`` needs the same id and value; ``lenient`` also accepts an ancestor or descendant id
(``cough`` / ``cough_productive``); ``strict_present`` / ``strict_absent`` split them by polarity.  The
scoring functions are those of ``intake_eval.py`` (the older 300-text set), so both sets are read alike.

Modes (each an override of the ``intake:`` settings of configs/diagnosis.yaml):

* ``lexicon``:   lexicon and spelling correction only (``use_embeddings: false``);
* ``minilm``:    lexicon + the bundled MiniLM similarity (``encoder: null``);
* ``finetuned``: lexicon + the contrastively fine-tuned intake encoder, at its own threshold
  (``encoder: intake-encoder``, the similarity of the encoder's ``intake.json``);
* ``union``:     the fine-tuned encoder and MiniLM, each at its own threshold; per clause the match further
  above its encoder's threshold wins (``union_minilm: true``);
* ``minilm_dev_threshold``: MiniLM at the threshold the same generated dev set picks for it (an ablation:
  how much of the fine-tuned encoder's difference is only its threshold).

The result is ``benchmarks/results/intake_findings.json`` (``--name`` to change it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_eval import errors, gold_labels, load_set, predict, run_modes, score  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "patient_sentences.jsonl"
MODES: dict[str, dict[str, Any]] = {
    "lexicon": {"use_embeddings": False},
    "minilm": {"use_embeddings": True, "encoder": None},
    "finetuned": {"use_embeddings": True, "encoder": "intake-encoder"},
    # the fine-tuned encoder and MiniLM together, each at its own threshold; per clause the larger margin wins
    "union": {"use_embeddings": True, "encoder": "intake-encoder", "union_minilm": True},
    # an ablation: MiniLM at the threshold the same generated dev set picks for it (intake.json of the encoder),
    # to tell the encoder's gain from the threshold's
    "minilm_dev_threshold": {"use_embeddings": True, "encoder": None, "_threshold_of": "minilm_on_the_same_dev"},
}


def check_ids(records: list[dict[str, Any]], finding_ids: set[str]) -> list[str]:
    """Every labelled id that the knowledge base does not have, as 'record: id'."""
    return [f"{r['id']}: {f['id']}" for r in records for f in r["findings"] if f["id"] not in finding_ids]


def make_engine(overrides: dict[str, Any]) -> Any:
    from medassist.diagnosis.engine import DiagnosisEngine, load_diagnosis_config
    from medassist.diagnosis.intake import Intake, IntakeSettings
    from medassist.knowledge.kb import KnowledgeBase

    cfg = load_diagnosis_config()
    overrides = dict(overrides)
    source = overrides.pop("_threshold_of", None)
    if source:
        from medassist.models.embed import INTAKE_ENCODER

        chosen = json.loads((INTAKE_ENCODER / "intake.json").read_text(encoding="utf-8"))[source]["chosen"]
        overrides.update(similarity=chosen["similarity"], similarity_overlap=chosen["similarity_overlap"])
    intake_cfg = {**cfg.intake, **overrides}
    if "encoder" in overrides and "encoder" not in IntakeSettings.__dataclass_fields__:
        if overrides["encoder"] is not None:
            raise SystemExit("this intake has no 'encoder' setting: run without the finetuned mode")
        del intake_cfg["encoder"]
    if intake_cfg.get("encoder") and "similarity" not in overrides:
        from medassist.models.embed import encoder_intake_settings

        intake_cfg.update(encoder_intake_settings(intake_cfg["encoder"]))  # the threshold chosen for it on dev
    kb = KnowledgeBase.load()
    return DiagnosisEngine(kb, cfg, intake=Intake(kb, IntakeSettings(**intake_cfg)), neural=None), intake_cfg


def evaluate_mode(records: list[dict[str, Any]], overrides: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    engine, used = make_engine(overrides)
    engine.start("warm up: headache", 30, "female")  # loads the encoder and the phrase vectors once
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    reads = [predict(engine, r) for r in records]
    run_s = time.perf_counter() - t0
    gold = [gold_labels(r) for r in records]
    pred = [{(i, v) for i, (v, _) in rd.items()} for rd in reads]
    figures: dict[str, Any] = {"settings": {k: used.get(k) for k in ("use_embeddings", "encoder", "similarity", "similarity_overlap")},
                               **score(gold, pred)}
    regs: dict[str, list[int]] = defaultdict(list)
    for k, r in enumerate(records):
        regs[r["register"]].append(k)
    figures["per_register"] = {reg: {"n": len(ix), **score([gold[k] for k in ix], [pred[k] for k in ix])}
                               for reg, ix in sorted(regs.items())}
    figures["predicted_by_source"] = dict(Counter(src for rd in reads for _, src in rd.values()))
    figures["cost"] = {"load_s": round(load_s, 1), "ms_per_text": round(1000 * run_s / max(len(records), 1), 1)}
    errs = [e for r, rd in zip(records, reads, strict=True) if (e := errors(r, rd))]
    return {"figures": figures, "errors": errs}


def _line(mode: str, s: dict[str, Any]) -> str:
    st, pr, ab = s["strict"], s["strict_present"], s["strict_absent"]
    return (f"{mode:12s} strict P {st['precision']:.3f} R {st['recall']:.3f} F1 {st['f1']:.3f} | present F1 {pr['f1']:.3f} "
            f"| absent P {ab['precision']:.3f} R {ab['recall']:.3f} F1 {ab['f1']:.3f} | lenient F1 {s['lenient']['f1']:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--modes", default="lexicon,minilm,finetuned", help=f"comma-separated, of: {', '.join(MODES)}")
    ap.add_argument("--name", default="intake_findings", help="result name (benchmarks/results/NAME.json)")
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args()

    from medassist.knowledge.kb import KnowledgeBase

    records = load_set(args.data)
    unknown = check_ids(records, set(KnowledgeBase.load().findings))
    if unknown:
        raise SystemExit("labels name findings the knowledge base does not have: " + ", ".join(unknown))
    run_modes(args, records, MODES, evaluate_mode, line=_line)


if __name__ == "__main__":
    main()
