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


# ---------------------------------------------------------------------------------------------- real notes
REAL_TYPES = ("HCPName", "PTName", "PTNameInitial", "RelativeProxyName", "Date", "DateYear", "Location", "Phone", "Other")


def load_physionet(path: Path) -> list[dict[str, Any]]:
    """The PhysioNet deid gold standard notes: patient_id, note_id, text, phi [{start, end_exclusive, type}]."""
    import json

    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append({"patient_id": d["patient_id"], "id": f"{d['patient_id']}-{d['note_id']}", "text": d["text"],
                        "phi": [{"start": p["start"], "end": p.get("end_exclusive", p.get("end")), "type": p["type"]} for p in d["phi"]]})
    return out


def patient_folds(records: list[dict[str, Any]], k: int = 5, seed: int = 20261204) -> list[int]:
    """A fold per note, by patient: every note of a patient lands in the same fold.  Patients are shuffled
    with a fixed seed, then dealt to the fold with the fewest PHI spans so far (folds of similar weight)."""
    import random

    phi: dict[Any, int] = {}
    for r in records:
        phi[r["patient_id"]] = phi.get(r["patient_id"], 0) + len(r["phi"]) + 1
    patients = sorted(phi)
    random.Random(seed).shuffle(patients)
    patients.sort(key=lambda p: -phi[p])  # stable: heavy patients first, ties in shuffled order
    load = [0] * k
    fold_of: dict[Any, int] = {}
    for p in patients:
        f = min(range(k), key=lambda i: (load[i], i))
        fold_of[p] = f
        load[f] += phi[p]
    return [fold_of[r["patient_id"]] for r in records]


def score_real(records: list[dict[str, Any]], preds: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Span-level, any overlap (the corpus's original scoring is category-blind): a gold span is found when a
    prediction overlaps it; a prediction is correct when it overlaps a gold span.  Recall per gold type, and
    overall with and without DateYear (HIPAA Safe Harbor lets years stand, and our de-identifier keeps them)."""
    per: dict[str, dict[str, int]] = {t: {"gold": 0, "found": 0} for t in REAL_TYPES}
    tp_pred = n_pred = 0
    misses: list[dict[str, Any]] = []
    false_alarms = 0
    for r, ps in zip(records, preds, strict=True):
        for g in r["phi"]:
            hit = any(p["start"] < g["end"] and g["start"] < p["end"] for p in ps)
            d = per.setdefault(g["type"], {"gold": 0, "found": 0})
            d["gold"] += 1
            d["found"] += hit
            if not hit:
                misses.append({"note": r["id"], "type": g["type"]})
        for p in ps:
            n_pred += 1
            ok = any(p["start"] < g["end"] and g["start"] < p["end"] for g in r["phi"])
            tp_pred += ok
            false_alarms += not ok
    gold = sum(d["gold"] for d in per.values())
    found = sum(d["found"] for d in per.values())
    gold_ny = gold - per["DateYear"]["gold"]
    found_ny = found - per["DateYear"]["found"]
    return {
        "recall": found / gold if gold else None,
        "recall_without_dateyear": found_ny / gold_ny if gold_ny else None,
        "precision": tp_pred / n_pred if n_pred else None,
        "gold_spans": gold, "predicted_spans": n_pred, "false_alarms": false_alarms,
        "per_type": {t: {**d, "recall": d["found"] / d["gold"] if d["gold"] else None} for t, d in per.items()},
        "missed": len(misses),
    }


def _timed(fn: Any, texts: list[str]) -> tuple[list[list[dict[str, Any]]], float]:
    t0 = time.perf_counter()
    out = fn(texts)
    return out, time.perf_counter() - t0


def run_real(args: argparse.Namespace) -> int:
    from _common import SHARED_DATA

    path = args.corpus_path or SHARED_DATA / "physionet_deid_dev" / "notes.jsonl"
    records = load_physionet(path)
    texts = [r["text"] for r in records]
    folds = patient_folds(records, args.folds)
    systems: dict[str, Any] = {}
    wanted = [s for s in args.systems.split(",") if s]

    def spans_of(found: Any) -> list[dict[str, Any]]:
        return [{"start": s.start, "end": s.end, "label": s.label} for s in found]

    if "rules" in wanted:
        from medassist.nlp.deid import Deidentifier

        deid = Deidentifier(secret="benchmark")
        preds, secs = _timed(lambda ts: [spans_of(deid.find(t)) for t in ts], texts)
        systems["medassist-rules"] = {**score_real(records, preds), "seconds": round(secs, 2),
                                      "notes_per_second": round(len(texts) / secs, 1)}
    if "presidio" in wanted:
        engine = presidio_engine()
        preds, secs = _timed(lambda ts: [[{"start": x.start, "end": x.end, "label": x.entity_type}
                                          for x in engine.analyze(text=t, language="en")] for t in ts], texts)
        import presidio_analyzer

        systems["presidio"] = {"version": getattr(presidio_analyzer, "__version__", "unknown"),
                               "setup": "blank spaCy 'en' model (no NER offline), default recognizers, all scores",
                               **score_real(records, preds), "seconds": round(secs, 2),
                               "notes_per_second": round(len(texts) / secs, 1)}
    command = "python benchmarks/deid_eval.py " + " ".join(sys.argv[1:])
    result = {
        "benchmark": "deid_eval_real",
        "corpus": {"path": "../shared/data/physionet_deid_dev/notes.jsonl",
                   "what": "PhysioNet deid gold standard (Neamatullah et al. 2008), MIMIC-II nursing notes with surrogate PHI, GPL-2.0",
                   "notes": len(records), "patients": len({r["patient_id"] for r in records}),
                   "phi_spans": sum(len(r["phi"]) for r in records), "folds": args.folds,
                   "fold_sizes_notes": [folds.count(i) for i in range(args.folds)]},
        "scoring": score_real.__doc__.split("\n")[0] + " (see score_real)",
        "systems": systems,
    }
    write_record(args.out, result, command)
    print("| system | recall | recall w/o DateYear | precision | notes/s | " + " | ".join(f"{t} R" for t in REAL_TYPES) + " |")
    for name, s in systems.items():
        per = " | ".join("-" if s["per_type"].get(t, {}).get("recall") is None else f"{s['per_type'][t]['recall']:.3f}"
                         for t in REAL_TYPES)
        print(f"| {name} | {s['recall']:.3f} | {s['recall_without_dateyear']:.3f} | {s['precision']:.3f} | "
              f"{s['notes_per_second']} | {per} |")
    return 0


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
    ap.add_argument("--corpus", choices=["physionet", "synthetic"], default="physionet",
                    help="physionet: the real notes in ../shared/data/physionet_deid_dev (the headline); synthetic: our generator")
    ap.add_argument("--corpus-path", type=Path, default=None, help="another notes.jsonl in the PhysioNet layout")
    ap.add_argument("--folds", type=int, default=5, help="patient-level cross-validation folds (physionet)")
    ap.add_argument("--systems", default="rules,presidio", help="physionet: comma-separated systems to score")
    ap.add_argument("--n", type=int, default=500, help="synthetic notes")
    ap.add_argument("--seed", type=int, default=20261124, help="corpus seed (never used for tuning)")
    ap.add_argument("--templates", default="holdout", choices=["holdout", "test", "eval", "dev"])
    ap.add_argument("--no-presidio", action="store_true", help="skip Presidio")
    ap.add_argument("--model", type=Path, default=None,
                    help="a trained de-id model directory: also score the model alone and rules + model")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.corpus == "physionet":
        args.out = args.out or RESULTS / "deid_eval_real.json"
        return run_real(args)
    args.out = args.out or RESULTS / "deid_eval.json"

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
