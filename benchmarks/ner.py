"""Biomedical NER with the fine-tuning engine: BC5CDR (train -> select on devel -> report test) and
NCBI-disease (train -> report devel), with full fine-tuning, LoRA and bottleneck adapters side by side.

    python benchmarks/ner.py bc5cdr --modes full,lora,adapter
    python benchmarks/ner.py ncbi

Every row: strict entity-level micro P/R/F1 (seqeval, IOB2) overall and per type, wall time,
training and inference sequences/s, trainable parameters and size on disk, on this machine.
Published: scispaCy en_ner_bc5cdr_md 0.843 test F1 (Neumann et al. 2019); PubMedBERT ~0.89 (Gu et al. 2021).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, write_result  # noqa: E402

CONFIGS = {"bc5cdr": ROOT / "configs" / "train" / "bc5cdr.yaml", "ncbi": ROOT / "configs" / "train" / "ncbi_disease.yaml"}
MODE_OVERRIDES = {
    "full": [],
    "lora": ["model.mode=lora", "model.lora.r=16", "model.lora.alpha=32", "training.learning_rate=5e-4"],
    "adapter": ["model.mode=adapter", "model.adapter.size=64", "model.adapter.style=pfeiffer", "training.learning_rate=5e-4"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", choices=sorted(CONFIGS))
    ap.add_argument("--modes", default="full")
    ap.add_argument("--out-root", default=str(ROOT / "runs"))
    ap.add_argument("--name", default=None)
    ap.add_argument("overrides", nargs="*", help="key=value overrides applied to every mode")
    args = ap.parse_args()

    from medassist.training import train

    figures = {}
    for mode in args.modes.split(","):
        out = Path(args.out_root) / f"{args.corpus}-{mode}"
        res = train(CONFIGS[args.corpus], [f"output_dir={out}", "overwrite=true", *MODE_OVERRIDES[mode], *args.overrides])
        m = res.metrics
        rep = m["test"]
        figures[mode] = {
            "reported_split": "test" if args.corpus == "bc5cdr" else "devel",
            "precision": rep["precision"], "recall": rep["recall"], "f1": rep["f1"], "macro_f1": rep["macro_f1"],
            "per_type": {k: round(v["f1"], 4) for k, v in rep["per_type"].items()},
            "best_dev_f1": m["best_dev"], "epochs_run": m["epochs_run"], "steps": m["steps"],
            "o_bias": m.get("o_bias"), "consistency_threshold": m.get("consistency_threshold"),
            "decoding_ablation": m.get("decoding_ablation"),
            "wall_time_s": round(res.wall_time_s, 1), "train_time_s": round(m["train_time_s"], 1),
            "train_sequences_per_s": round(m["train_sequences_per_s"], 2),
            "inference_sentences_per_s": round(rep["inference_sentences_per_s"], 1),
            "trainable_params": res.trainable_params, "total_params": res.total_params,
            "model_dir_bytes": res.extra.get("size_bytes"), "model_dir": str(out),
        }
        f = figures[mode]
        per = ", ".join(f"{k} {v:.3f}" for k, v in f["per_type"].items())
        print(f"| {args.corpus} | {mode} | {f['f1']:.4f} ({per}) | P {f['precision']:.3f} R {f['recall']:.3f} | "
              f"{f['wall_time_s']:.0f} s | train {f['train_sequences_per_s']:.1f} seq/s | infer {f['inference_sentences_per_s']:.0f} sent/s | "
              f"{f['trainable_params']:,} params | {f['model_dir_bytes'] / 1e6:.1f} MB |", flush=True)
        # written after every mode, so that a long side-by-side run keeps what it has finished
        write_result(args.name or f"ner_{args.corpus}", figures, config=str(CONFIGS[args.corpus]), overrides=args.overrides,
                     published={"scispacy_en_ner_bc5cdr_md_test_f1": 0.843, "pubmedbert_bc5cdr_test_f1": 0.89})


if __name__ == "__main__":
    main()
