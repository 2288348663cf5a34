"""Evaluate a trained model directory on a labelled file (the same metrics as training reports)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from medassist.errors import DataError, ErrorCode
from medassist.training.corpus import group_sentences, read_classification, read_relations, read_spans


def evaluate(
    model_path: str | Path,
    data: str | Path,
    *,
    fmt: str = "auto",
    text_column: str = "text",
    label_column: str = "label",
    label_separator: str | None = None,
    context_words: int = 0,
    out_dir: str | Path | None = None,
) -> dict[str, Any]:
    from medassist.models import load_model
    from medassist.training import metrics as M

    model = load_model(model_path)
    data = Path(data)
    result: dict[str, Any] = {"model": str(model_path), "data": str(data)}
    plots: dict[str, Any] = {}
    t0 = time.time()
    if model.task == "token_classification":
        from medassist.training.recipes import decode_docs, gold_tags

        docs = group_sentences(read_spans(data, fmt), context_words)
        lp = model.word_logprobs([d.tokens for d in docs])  # type: ignore[union-attr]
        m = M.entity_metrics(gold_tags(docs), decode_docs(lp, docs, model.labels, model.o_bias, model.consistency))  # type: ignore[union-attr]
        plots["entity_f1.png"] = lambda p: M.plot_entity_f1(m, p)
    else:
        if model.task == "relation_classification":
            exs = read_relations(data, label_column=label_column)
        else:
            exs = read_classification(data, text_column=text_column, label_column=label_column, label_separator=label_separator)
        labels = model.labels
        unseen = sorted({lab for e in exs for lab in e.labels} - set(labels))
        if unseen:
            raise DataError(ErrorCode.E211, path=data, labels=unseen[:10], known=len(labels))
        probs = model.predict_proba([e.text for e in exs])  # type: ignore[union-attr]
        multi = model.multi_label  # type: ignore[union-attr]
        if multi:
            y = np.zeros((len(exs), len(labels)), dtype=np.float32)
            for i, e in enumerate(exs):
                y[i, [labels.index(lab) for lab in e.labels]] = 1
        else:
            y = np.array([labels.index(e.labels[0]) for e in exs])
        m = M.classification_metrics(probs, y, labels, multi_label=multi, negative_label=model.meta.get("negative_label"))
        plots["reliability.png"] = lambda p: M.plot_reliability(m, p)
        if not multi:
            plots["confusion.png"] = lambda p: M.plot_confusion(m["confusion_matrix"], labels, p)
    result["metrics"] = m
    result["seconds"] = time.time() - t0
    if out_dir:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
        for name, fn in plots.items():
            fn(out / name)
    return result
