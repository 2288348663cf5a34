"""Fit the 'O' decoding bias of a trained NER model on BC5CDR devel and score test with and without it.

    python benchmarks/ner_obias.py runs/exp2 [--context-words 200]

Used to compare recipes trained before the bias was part of training (the recipe now fits it itself).
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
    args = ap.parse_args()

    from medassist.models import load_model
    from medassist.training.corpus import group_sentences, read_conll
    from medassist.training.metrics import entity_metrics
    from medassist.training.recipes import decode_docs, fit_o_bias, gold_tags

    model = load_model(args.model, batch_size=64)
    dev = group_sentences(read_conll(SHARED_DATA / "bc5cdr" / "devel.tsv"), args.context_words)
    test = group_sentences(read_conll(SHARED_DATA / "bc5cdr" / "test.tsv"), args.context_words)
    bias, dev_f1 = fit_o_bias(model.word_logprobs([d.tokens for d in dev]), dev, model.labels)
    test_lp = model.word_logprobs([d.tokens for d in test])
    out = {"model": args.model, "o_bias": bias, "dev_f1_with_bias": dev_f1}
    for name, b in (("test_f1_without_bias", 0.0), ("test_f1_with_bias", bias)):
        out[name] = entity_metrics(gold_tags(test), decode_docs(test_lp, test, model.labels, b))["f1"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
