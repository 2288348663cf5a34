"""De-identification recall and precision per identifier type: MedAssist rules vs Microsoft Presidio.

The corpus is synthetic (``medassist.nlp.deid.synth``).  The rules were tuned on the ``dev`` templates
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

from medassist.nlp.deid.corpus import REAL_TYPES  # noqa: E402

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"

PRESIDIO_TO_OURS = {
    "PERSON": "NAME", "DATE_TIME": "DATE", "PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL", "US_SSN": "SSN",
    "IP_ADDRESS": "IP", "URL": "URL", "LOCATION": "CITY", "US_DRIVER_LICENSE": "LICENSE", "MEDICAL_LICENSE": "LICENSE",
    "US_BANK_NUMBER": "ACCOUNT", "US_PASSPORT": "ID", "US_ITIN": "ID", "UK_NHS": "HEALTH_PLAN", "ORGANIZATION": "FACILITY",
    "AGE": "AGE", "ID": "ID", "UUID": "ID", "CREDIT_CARD": "ACCOUNT", "IBAN_CODE": "ACCOUNT", "MAC_ADDRESS": "DEVICE",
}  # fmt: skip


# ---------------------------------------------------------------------------------------------- real notes
WORK = ROOT / "work" / "deid"


def _spans(found: Any) -> list[dict[str, Any]]:
    return [{"start": s.start, "end": s.end, "label": s.label, "score": s.score, "source": s.source} for s in found]


def fold_model(records: list[dict[str, Any]], folds: list[int], k: int | None, args: argparse.Namespace) -> Path:
    """Train the PHI tagger on every fold but ``k`` (``None``: on all notes) with the shipped recipe;
    10% of the training patients are the dev set.  A model already in place is reused with --reuse."""
    from medassist.nlp.deid.corpus import real_examples, split_patients, synthetic_examples, write_jsonl
    from medassist.training import train

    name = "all" if k is None else f"fold{k}"
    out = WORK / name
    model_dir = out / "model"
    if args.reuse and (model_dir / "medassist.json").exists():
        return model_dir
    train_recs = [r for r, f in zip(records, folds, strict=True) if f != k]
    rest, dev = split_patients(train_recs, 0.1, seed=100 + (k if k is not None else 99))
    synth = synthetic_examples(args.synthetic, seed=1000 + (k if k is not None else 99))
    write_jsonl(out / "train.jsonl", real_examples(rest) + synth)
    write_jsonl(out / "dev.jsonl", real_examples(dev))
    overrides = [f"data.train={out / 'train.jsonl'}", f"data.dev={out / 'dev.jsonl'}", f"output_dir={model_dir}",
                 "overwrite=true", "training.progress=false", *args.override]
    t0 = time.perf_counter()
    train(ROOT.parent / "configs" / "train" / "deid.yaml", overrides)
    print(f"{name}: trained in {time.perf_counter() - t0:.0f} s", flush=True)
    return model_dir


def run_real(args: argparse.Namespace) -> int:
    from _common import SHARED_DATA

    from medassist.nlp.deid import Deidentifier
    from medassist.nlp.deid.corpus import patient_folds, read_physionet, score_physionet

    path = args.corpus_path or SHARED_DATA / "physionet_deid_dev" / "notes.jsonl"
    records = read_physionet(path)
    folds = patient_folds(records, args.folds)
    fold_sizes = [folds.count(i) for i in range(args.folds)]
    if args.only_folds:
        # every system scores the same notes: those of the folds asked for (each by its own fold's tagger)
        keep = {int(k) for k in args.only_folds.split(",")}
        pairs = [(r, f) for r, f in zip(records, folds, strict=True) if f in keep]
        records, folds = [r for r, _ in pairs], [f for _, f in pairs]
    texts = [r["text"] for r in records]
    fold_ids = sorted(set(folds))
    wanted = [s for s in args.systems.split(",") if s]
    preds: dict[str, list[list[dict[str, Any]] | None]] = {}
    secs: dict[str, float] = {}
    if "rules" in wanted:
        deid = Deidentifier(secret="benchmark", detector="rules")
        t0 = time.perf_counter()
        preds["medassist-rules"] = [_spans(deid.find(t)) for t in texts]
        secs["medassist-rules"] = time.perf_counter() - t0
    fold_dirs: dict[int, str] = {}
    if "model" in wanted or "hybrid" in wanted:
        for name in ("medassist-model", "medassist-hybrid"):
            preds[name], secs[name] = [None] * len(texts), 0.0
        for k in fold_ids:
            model_dir = fold_model(records, folds, k, args)
            fold_dirs[k] = str(model_dir)
            idx = [i for i, f in enumerate(folds) if f == k]
            for name, detector in (("medassist-model", "model"), ("medassist-hybrid", "hybrid")):
                if detector not in wanted:
                    continue
                d = Deidentifier(secret="benchmark", detector=detector, model=str(model_dir), quantize=args.quantize)
                t0 = time.perf_counter()
                found = d.find_many([texts[i] for i in idx])
                secs[name] += time.perf_counter() - t0
                for i, sp in zip(idx, found, strict=True):
                    preds[name][i] = _spans(sp)
        for name in ("medassist-model", "medassist-hybrid"):
            if name.split("-")[1] not in wanted:
                preds.pop(name)
    if "presidio" in wanted:
        engine = presidio_engine()
        t0 = time.perf_counter()
        preds["presidio"] = [[{"start": x.start, "end": x.end, "label": x.entity_type}
                              for x in engine.analyze(text=t, language="en")] for t in texts]
        secs["presidio"] = time.perf_counter() - t0
    systems: dict[str, Any] = {}
    for name, pr in preds.items():
        full = score_physionet(records, pr)  # type: ignore[arg-type]
        per_fold = [score_physionet([r for r, f in zip(records, folds, strict=True) if f == k],
                                    [p for p, f in zip(pr, folds, strict=True) if f == k]) for k in fold_ids]
        systems[name] = {**full, "per_fold": [{k: f[k] for k in ("recall", "recall_without_dateyear", "precision")}
                                             for f in per_fold],
                         "seconds": round(secs[name], 2), "notes_per_second": round(len(texts) / secs[name], 1)}
    if "presidio" in systems:
        import presidio_analyzer

        systems["presidio"]["version"] = getattr(presidio_analyzer, "__version__", "unknown")
        systems["presidio"]["setup"] = "blank spaCy 'en' model (no NER offline), default recognizers, all scores"
    command = "python benchmarks/deid_eval.py " + " ".join(sys.argv[1:])
    result = {
        "benchmark": "deid_eval_real",
        "corpus": {"path": "../shared/data/physionet_deid_dev/notes.jsonl",
                   "what": "PhysioNet deid gold standard (Neamatullah et al. 2008), MIMIC-II nursing notes with surrogate PHI, GPL-2.0",
                   "notes": len(records), "patients": len({r["patient_id"] for r in records}),
                   "phi_spans": sum(len(r["phi"]) for r in records), "folds": args.folds,
                   "fold_sizes_notes": fold_sizes,
                   "folds_scored": fold_ids},
        "protocol": ("patient-level cross-validation: the tagger of each fold is trained on the other folds' notes "
                     f"(10% of their patients as dev) plus {args.synthetic} generated notes, and scores its own fold; "
                     "the rules and Presidio have no training and score every note"),
        "scoring": "any-overlap span recall per gold type and overall, with and without DateYear; precision of predicted spans",
        "quantize": args.quantize, "fold_models": fold_dirs,
        "systems": systems,
    }
    if args.speed:
        result["speed"] = speed(args)
    write_record(args.out, result, command)
    print("| system | recall | recall w/o DateYear | precision | notes/s | " + " | ".join(f"{t} R" for t in REAL_TYPES) + " |")
    for name, s in systems.items():
        per = " | ".join("-" if s["per_type"].get(t, {}).get("recall") is None else f"{s['per_type'][t]['recall']:.3f}"
                         for t in REAL_TYPES)
        print(f"| {name} | {s['recall']:.3f} | {s['recall_without_dateyear']:.3f} | {s['precision']:.3f} | "
              f"{s['notes_per_second']} | {per} |")
    if args.train_final:
        final = fold_model(records, [-1] * len(records), None, args)
        print(f"final model (all {len(records)} notes): {final}")
    return 0


def speed(args: argparse.Namespace) -> dict[str, Any]:
    """Single-process throughput of the shipped de-identifier (rules alone, and rules + the shipped tagger) on
    MTSamples transcriptions (longer, typed notes) and on the real nursing notes; 20 notes of warm-up."""
    from _common import SHARED_DATA
    from notes_speed import load_notes

    from medassist.nlp.deid import Deidentifier
    from medassist.nlp.deid.corpus import read_physionet

    sets = {"mtsamples": load_notes(SHARED_DATA / "mtsamples" / "mtsamples.csv", args.speed),
            "physionet_dev": [r["text"] for r in read_physionet(SHARED_DATA / "physionet_deid_dev" / "notes.jsonl")][: args.speed]}
    out: dict[str, Any] = {}
    for detector in ("rules", "hybrid"):
        d = Deidentifier(secret="benchmark", detector=detector)  # the shipped model for hybrid
        for name, notes in sets.items():
            for t in notes[:20]:
                d.find(t)
            t0 = time.perf_counter()
            for t in notes:
                d.find(t)
            sec = time.perf_counter() - t0
            chars = sum(len(t) for t in notes)
            out[f"{detector}/{name}"] = {"notes": len(notes), "mean_chars": round(chars / len(notes)),
                                         "seconds": round(sec, 2), "notes_per_second": round(len(notes) / sec, 1)}
            print(f"speed {detector:7s} {name:14s} {out[f'{detector}/{name}']}", flush=True)
    return out


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
    ap.add_argument("--systems", default="rules,model,hybrid,presidio",
                    help="physionet: comma-separated of rules, model, hybrid, presidio (model/hybrid train one tagger per fold)")
    ap.add_argument("--synthetic", type=int, default=1200, help="physionet: generated notes added to each fold's training set")
    ap.add_argument("--only-folds", default="", help="physionet: score only these folds (comma-separated), every system on the same notes")
    ap.add_argument("--speed", type=int, default=0, help="physionet: also time the shipped de-identifier on this many MTSamples and real notes")
    ap.add_argument("--reuse", action="store_true", help="physionet: reuse fold models already trained in benchmarks/work/deid")
    ap.add_argument("--quantize", default="int8", help="physionet: int8 (dynamic, as shipped) or none")
    ap.add_argument("--train-final", action="store_true", help="physionet: then train the tagger on every note (the shipped one)")
    ap.add_argument("--override", action="append", default=[], help="physionet: a training override key=value (repeatable)")
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
        args.quantize = None if args.quantize in ("none", "") else args.quantize
        return run_real(args)
    args.out = args.out or RESULTS / "deid_eval.json"

    from medassist.nlp.deid import Deidentifier
    from medassist.nlp.deid.synth import generate, score

    records = list(generate(args.n, args.seed, args.templates))
    chars = sum(len(r["text"]) for r in records)
    systems: dict[str, Any] = {}

    deid = Deidentifier(secret="benchmark", detector="rules")
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
        both = Deidentifier(secret="benchmark", detector="hybrid", model=model)
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
            "generator": "medassist.nlp.deid.synth",
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
