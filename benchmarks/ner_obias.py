"""Fit the decoding of a trained NER model on BC5CDR devel and score test with and without it:
the 'O' bias alone, then the 'O' bias jointly with document-level consistency.

    python benchmarks/ner_obias.py runs/exp2 [--context-words 200] [--window 20]

Used to compare recipes trained before these were part of training (the recipe now fits both itself).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SHARED_DATA  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--context-words", type=int, default=0)
    ap.add_argument("--window", type=int, default=20, help="consistency window in sentences")
    args = ap.parse_args()

    from medassist.models import load_model
    from medassist.training.corpus import group_sentences, read_conll
    from medassist.training.metrics import entity_metrics
    from medassist.training.recipes import decode_docs, fit_decoding, fit_o_bias, gold_tags

    model = load_model(args.model, batch_size=64)
    dev = group_sentences(read_conll(SHARED_DATA / "bc5cdr" / "devel.tsv"), args.context_words)
    test = group_sentences(read_conll(SHARED_DATA / "bc5cdr" / "test.tsv"), args.context_words)
    dev_lp = model.word_logprobs([d.tokens for d in dev])
    bias, dev_f1 = fit_o_bias(dev_lp, dev, model.labels)
    joint_bias, threshold, joint_dev_f1 = fit_decoding(dev_lp, dev, model.labels, args.window)
    test_lp = model.word_logprobs([d.tokens for d in test])
    out = {"model": args.model, "o_bias": bias, "dev_f1_with_bias": dev_f1,
           "joint_o_bias": joint_bias, "consistency_threshold": threshold, "dev_f1_with_consistency": joint_dev_f1}
    cons = {"threshold": threshold, "window": args.window}
    for name, b, c in (("test_f1_without_bias", 0.0, None), ("test_f1_with_bias", bias, None),
                       ("test_f1_with_consistency", joint_bias, cons)):
        out[name] = entity_metrics(gold_tags(test), decode_docs(test_lp, test, model.labels, b, c))["f1"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
