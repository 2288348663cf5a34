"""De-identification recall and precision per identifier type: MedAssist rules vs Microsoft Presidio.

The corpus is synthetic (``medassist.nlp.deid_synth``).  The rules were tuned on the ``dev`` templates
(seeds 1-4), then on the ``eval`` templates (seed 20261122: its first, untuned result is kept in
results/deid_eval_v1_before_tuning_on_eval.json), then on the ``test`` templates (seed 20261123; first
result in results/deid_eval_v2_test_heldout.json).  The ``holdout`` templates were written after all of
that and are scored here with a seed never used before (20261124).  Both systems see
the same texts in the same run.  Scoring (``deid_synth.score``) is label-agnostic, as removal is what
matters: a gold identifier is recalled when every letter and digit of it lies inside predicted spans; a
predicted span is correct when it overlaps a gold identifier.  Per-type precision uses each system's own
types (Presidio's mapped to ours).

Presidio runs offline with a blank spaCy English model saved to a temporary folder (so it has no PERSON
or LOCATION detection: it has no NER model offline) and its default recognizers.

    python benchmarks/deid_eval.py                  # 500 notes, holdout templates, seed 20261124
    python benchmarks/deid_eval.py --n 100 --no-presidio

Writes benchmarks/results/deid_eval.json and prints markdown rows.  Needs the ``bench`` extra for Presidio:
pip install 'medassist[bench]'.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_record  # noqa: E402

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"

PRESIDIO_TO_OURS = {
    "PERSON": "NAME", "DATE_TIME": "DATE", "PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL", "US_SSN": "SSN",
    "IP_ADDRESS": "IP", "URL": "URL", "LOCATION": "CITY", "US_DRIVER_LICENSE": "LICENSE", "MEDICAL_LICENSE": "LICENSE",
    "US_BANK_NUMBER": "ACCOUNT", "US_PASSPORT": "ID", "US_ITIN": "ID", "UK_NHS": "HEALTH_PLAN", "ORGANIZATION": "FACILITY",
    "AGE": "AGE", "ID": "ID", "UUID": "ID", "CREDIT_CARD": "ACCOUNT", "IBAN_CODE": "ACCOUNT", "MAC_ADDRESS": "DEVICE",
}  # fmt: skip


def presidio_engine() -> Any:
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    # offline: the public-suffix list bundled with tldextract, never its download
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    model_dir = tempfile.mkdtemp(prefix="blank-en-")
    spacy.blank("en").to_disk(model_dir)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": model_dir}],
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500, help="synthetic notes")
    ap.add_argument("--seed", type=int, default=20261124, help="corpus seed (never used for tuning)")
    ap.add_argument("--templates", default="holdout", choices=["holdout", "test", "eval", "dev"])
    ap.add_argument("--no-presidio", action="store_true", help="skip Presidio")
    ap.add_argument("--model", type=Path, default=None,
                    help="a trained de-id model directory: also score the model alone and rules + model")
    ap.add_argument("--out", type=Path, default=RESULTS / "deid_eval.json")
    args = ap.parse_args(argv)

    from medassist.nlp.deid import Deidentifier
    from medassist.nlp.deid_synth import generate, score

    records = list(generate(args.n, args.seed, args.templates))
    chars = sum(len(r["text"]) for r in records)
    systems: dict[str, Any] = {}

    deid = Deidentifier(secret="benchmark")
    t0 = time.perf_counter()
    preds = [
        [{"start": s.start, "end": s.end, "label": s.label} for s in deid.find(r["text"])] for r in records
    ]
    elapsed = time.perf_counter() - t0
    res = score(records, preds)
    systems["medassist-rules"] = {
        "overall": res["overall"],
        "per_type": res["per_type"],
        "seconds": round(elapsed, 3),
        "notes_per_second": round(len(records) / elapsed, 1),
        "missed_examples": [{k: m[k] for k in ("id", "label")} for m in res["misses"][:20]],
    }

    if args.model is not None:
        from medassist.models import load_model

        model = load_model(args.model)
        t0 = time.perf_counter()
        mpreds = [[{"start": x["start"], "end": x["end"], "label": x["label"]} for x in spans]
                  for spans in model.predict_spans([r["text"] for r in records])]
        elapsed = time.perf_counter() - t0
        mres = score(records, mpreds)
        systems["medassist-model"] = {"model": str(args.model), "overall": mres["overall"], "per_type": mres["per_type"],
                                      "seconds": round(elapsed, 3), "notes_per_second": round(len(records) / elapsed, 1)}
        both = Deidentifier(secret="benchmark", model=model)
        t0 = time.perf_counter()
        bpreds = [[{"start": s.start, "end": s.end, "label": s.label} for s in both.find(r["text"])] for r in records]
        elapsed = time.perf_counter() - t0
        bres = score(records, bpreds)
        systems["medassist-rules+model"] = {"overall": bres["overall"], "per_type": bres["per_type"],
                                            "seconds": round(elapsed, 3), "notes_per_second": round(len(records) / elapsed, 1)}

    if not args.no_presidio:
        engine = presidio_engine()
        t0 = time.perf_counter()
        ppreds = []
        for r in records:
            out = engine.analyze(text=r["text"], language="en")
            ppreds.append(
                [
                    {"start": x.start, "end": x.end, "label": PRESIDIO_TO_OURS.get(x.entity_type, "ID")}
                    for x in out
                ]
            )
        elapsed = time.perf_counter() - t0
        pres = score(records, ppreds)
        import presidio_analyzer

        systems["presidio"] = {
            "version": getattr(presidio_analyzer, "__version__", "unknown"),
            "setup": "blank spaCy 'en' model (no NER), default recognizers, all scores",
            "overall": pres["overall"],
            "per_type": pres["per_type"],
            "seconds": round(elapsed, 3),
            "notes_per_second": round(len(records) / elapsed, 1),
        }

    command = "python benchmarks/deid_eval.py " + " ".join(argv if argv is not None else sys.argv[1:])
    result = {
        "benchmark": "deid_eval",
        "corpus": {
            "generator": "medassist.nlp.deid_synth",
            "templates": args.templates,
            "seed": args.seed,
            "notes": len(records),
            "characters": chars,
        },
        "scoring": "label-agnostic; gold recalled if all its letters/digits are covered; prediction correct if it overlaps gold",
        "systems": systems,
    }
    write_record(args.out, result, command)

    types = sorted({t for s in systems.values() for t in s["per_type"] if s["per_type"][t]["gold"]})
    print(
        f"| system | notes | overall recall | overall precision | notes/s | {' | '.join(f'{t} R' for t in types)} |"
    )
    print("|" + "---|" * (5 + len(types)))
    for name, s in systems.items():
        per = " | ".join(
            f"{s['per_type'][t]['recall']:.3f}"
            if t in s["per_type"] and s["per_type"][t]["recall"] is not None
            else "-"
            for t in types
        )
        o = s["overall"]
        print(
            f"| {name} | {len(records)} | {o['recall']:.4f} | {o['precision']:.4f} | {s['notes_per_second']} | {per} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
