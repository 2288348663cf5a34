"""DDI-2013 drug-drug interaction extraction with the fine-tuning engine.

    python benchmarks/ddi.py            # prepare the data, train configs/train/ddi.yaml, report
    python benchmarks/ddi.py --prepare  # only write benchmarks/work/ddi/{train,dev}.jsonl

Protocol: the train part of DDI-2013 (the test part is kept aside in ../shared/data), split by
document (90% / 10%, seed 13); the model is selected and reported on the held-out 10%: micro
P/R/F1 over the four positive types (mechanism, effect, advise, int).  PubMedBERT reports 0.82 on
the official test set (Gu et al. 2021) -- a different split and a model five times larger.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, ROOT, SHARED_DATA, write_result  # noqa: E402

WORK = ROOT / "benchmarks" / "work" / "ddi"


def prepare(seed: int = 13, dev_fraction: float = 0.1) -> dict[str, int]:
    src = SHARED_DATA / "ddi2013" / "train.jsonl"
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = sorted({r["doc_id"] for r in rows})
    random.Random(seed).shuffle(docs)
    dev_docs = set(docs[: round(len(docs) * dev_fraction)])
    WORK.mkdir(parents=True, exist_ok=True)
    counts = {"train": 0, "dev": 0, "discontinuous_entities": 0}
    with (WORK / "train.jsonl").open("w") as ftr, (WORK / "dev.jsonl").open("w") as fdv:
        for r in rows:
            ents = {e["id"]: e for e in r["entities"]}
            for pair in r["pairs"]:
                e1, e2 = ents[pair["e1"]], ents[pair["e2"]]
                counts["discontinuous_entities"] += (len(e1["spans"]) > 1) + (len(e2["spans"]) > 1)
                s1, s2 = e1["spans"][0], e2["spans"][0]  # discontinuous mentions: their first fragment
                label = pair["type"] if pair["ddi"] else "none"
                item = {"id": pair["id"], "text": r["text"], "e1": s1, "e2": s2, "label": label, "group": r["doc_id"]}
                split = "dev" if r["doc_id"] in dev_docs else "train"
                (fdv if split == "dev" else ftr).write(json.dumps(item) + "\n")
                counts[split] += 1
    counts["documents"] = len(docs)
    counts["dev_documents"] = len(dev_docs)
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prepare", action="store_true", help="only write the converted data")
    ap.add_argument("--config", default=str(ROOT / "configs" / "train" / "ddi.yaml"))
    ap.add_argument("--evaluate-only", metavar="MODEL_DIR", default=None,
                    help="no training: re-apply the calibration to a trained model and score it on the held-out part")
    ap.add_argument("overrides", nargs="*", help="key=value overrides for the training config")
    args = ap.parse_args()
    counts = prepare()
    print(json.dumps(counts))
    if args.prepare:
        return
    if args.evaluate_only:
        from medassist.training.recipes import recalibrate

        metrics = recalibrate(args.evaluate_only, WORK / "dev.jsonl")
        previous = RESULTS / "ddi2013.json"
        trainable = metrics.get("trainable_params") or (
            json.loads(previous.read_text())["figures"].get("trainable_params") if previous.exists() else None)
        report(metrics, counts, args, wall=metrics["wall_time_s"], trainable=trainable,
               size=sum(f.stat().st_size for f in Path(args.evaluate_only).rglob("*") if f.is_file()))
        return
    from medassist.training import train

    res = train(args.config, ["overwrite=true", *args.overrides])
    report(res.metrics, counts, args, wall=res.wall_time_s, trainable=res.trainable_params, size=res.extra.get("size_bytes"))


def report(metrics: dict, counts: dict, args: argparse.Namespace, *, wall: float, trainable: int | None, size: int | None) -> None:
    dev = metrics["dev"]
    figures = {
        "pos_micro_precision": dev["pos_micro_precision"], "pos_micro_recall": dev["pos_micro_recall"],
        "pos_micro_f1": dev["pos_micro_f1"], "accuracy": dev["accuracy"], "ece": dev["ece"],
        "per_class": dev["per_class"], "wall_time_s": wall, "train_time_s": metrics["train_time_s"],
        "train_sequences_per_s": metrics["train_sequences_per_s"],
        "inference_sequences_per_s": dev["inference_sequences_per_s"], "epochs_run": metrics["epochs_run"],
        "temperature": metrics.get("temperature"), "logit_bias": metrics.get("logit_bias"),
        "recalibrated_after_training": metrics.get("recalibrated"),
        "trainable_params": trainable, "model_dir_bytes": size,
    }
    write_result("ddi2013", figures, data=counts, config=args.config, overrides=args.overrides,
                 reference={"PubMedBERT_official_test_micro_f1": 0.82})
    print(f"| DDI-2013 held-out docs | micro F1 (4 types) {dev['pos_micro_f1']:.3f} | P {dev['pos_micro_precision']:.3f} "
          f"R {dev['pos_micro_recall']:.3f} | {wall:.0f} s | {dev['inference_sequences_per_s']:.0f} seq/s |")


if __name__ == "__main__":
    main()
