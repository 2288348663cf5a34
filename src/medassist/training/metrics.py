"""Honest evaluation: strict entity-level P/R/F1, classification reports, calibration.

* Token tasks: seqeval in strict mode with the IOB2 scheme (an entity counts only if its type and
  both boundaries match), per type, micro and macro.
* Classification: accuracy, top-k accuracy, macro/micro/weighted F1, per-class report, confusion
  matrix, negative log-likelihood, Brier score and expected calibration error (ECE, equal-width bins)
  with a reliability diagram.  Plots are PNG, metrics JSON-ready dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def entity_metrics(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> dict[str, Any]:
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    per_type = {
        k: {"precision": v["precision"], "recall": v["recall"], "f1": v["f1-score"], "support": int(v["support"])}
        for k, v in report.items()
        if k not in ("micro avg", "macro avg", "weighted avg")
    }
    micro = report.get("micro avg", {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0})
    macro = report.get("macro avg", {"f1-score": 0.0})
    return {
        "precision": float(micro["precision"]),
        "recall": float(micro["recall"]),
        "f1": float(micro["f1-score"]),
        "macro_f1": float(macro["f1-score"]),
        "support": int(micro["support"]),
        "per_type": per_type,
    }


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def fit_temperature(logits: np.ndarray, targets: np.ndarray, *, multi_label: bool = False) -> float:
    """Temperature T minimising the negative log-likelihood of ``logits / T`` (Guo et al. 2017)."""
    if len(logits) == 0:
        return 1.0

    def nll(t: float) -> float:
        z = logits / t
        if multi_label:
            p = np.clip(sigmoid(z), 1e-7, 1 - 1e-7)
            return float(-(targets * np.log(p) + (1 - targets) * np.log(1 - p)).mean())
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(targets)), targets].mean())

    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    best = min(grid, key=nll)
    lo, hi = best / 1.06, best * 1.06  # refine by golden-section search around the grid optimum
    g = (np.sqrt(5) - 1) / 2
    a, b = lo, hi
    for _ in range(40):
        c, d = b - g * (b - a), a + g * (b - a)
        if nll(c) < nll(d):
            b = d
        else:
            a = c
    return float((a + b) / 2)


def calibration(confidences: np.ndarray, correct: np.ndarray, n_bins: int = 15) -> dict[str, Any]:
    """Expected calibration error over equal-width confidence bins, with per-bin figures."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = []
    ece = 0.0
    n = len(confidences)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidences > lo) & (confidences <= hi) if lo > 0 else (confidences >= lo) & (confidences <= hi)
        count = int(in_bin.sum())
        if count:
            acc = float(correct[in_bin].mean())
            conf = float(confidences[in_bin].mean())
            ece += count / n * abs(acc - conf)
            bins.append({"lo": float(lo), "hi": float(hi), "count": count, "accuracy": acc, "confidence": conf})
    return {"ece": float(ece), "bins": bins, "n_bins": n_bins}


def classification_metrics(
    probs: np.ndarray, targets: np.ndarray, labels: Sequence[str], *, multi_label: bool = False,
    negative_label: str | None = None,
) -> dict[str, Any]:
    """Metrics for single-label (``targets``: class indices) or multi-label (``targets``: 0/1 matrix)."""
    from sklearn.metrics import classification_report, confusion_matrix, f1_score

    labels = list(labels)
    idx = list(range(len(labels)))
    if multi_label:
        pred = (probs >= 0.5).astype(int)
        report = classification_report(targets, pred, labels=idx, target_names=labels, output_dict=True, zero_division=0)
        conf = probs.reshape(-1)
        corr = (pred.reshape(-1) == targets.reshape(-1)).astype(float)
        out = {
            "subset_accuracy": float((pred == targets).all(axis=1).mean()),
            "micro_f1": float(f1_score(targets, pred, average="micro", zero_division=0)),
            "macro_f1": float(f1_score(targets, pred, average="macro", zero_division=0)),
            "brier": float(((probs - targets) ** 2).mean()),
        }
        # calibration of each label probability as a binary forecast
        cal = calibration(np.where(pred.reshape(-1) == 1, conf, 1 - conf), corr)
    else:
        pred = probs.argmax(axis=1)
        report = classification_report(targets, pred, labels=idx, target_names=labels, output_dict=True, zero_division=0)
        order = np.argsort(-probs, axis=1)
        out = {
            "accuracy": float((pred == targets).mean()),
            "macro_f1": float(f1_score(targets, pred, labels=idx, average="macro", zero_division=0)),
            "micro_f1": float(f1_score(targets, pred, labels=idx, average="micro", zero_division=0)),
            "weighted_f1": float(f1_score(targets, pred, labels=idx, average="weighted", zero_division=0)),
            "nll": float(-np.log(np.clip(probs[np.arange(len(targets)), targets], 1e-12, 1)).mean()),
            "brier": float(((probs - np.eye(len(labels))[targets]) ** 2).sum(axis=1).mean()),
            "confusion_matrix": confusion_matrix(targets, pred, labels=idx).tolist(),
        }
        if negative_label in labels:
            pos = [i for i, lab in enumerate(labels) if lab != negative_label]
            # relation extraction convention (e.g. DDI-2013): micro P/R/F1 over the positive classes only
            from sklearn.metrics import precision_recall_fscore_support

            p_, r_, f_, _ = precision_recall_fscore_support(targets, pred, labels=pos, average="micro", zero_division=0)
            out.update({"pos_micro_precision": float(p_), "pos_micro_recall": float(r_), "pos_micro_f1": float(f_)})
        for k in (3, 5, 10):
            if k < len(labels):
                out[f"top{k}_accuracy"] = float((order[:, :k] == targets[:, None]).any(axis=1).mean())
        cal = calibration(probs.max(axis=1), (pred == targets).astype(float))
    out["ece"] = cal["ece"]
    out["reliability"] = cal["bins"]
    out["per_class"] = {
        lab: {"precision": v["precision"], "recall": v["recall"], "f1": v["f1-score"], "support": int(v["support"])}
        for lab, v in report.items()
        if lab in labels
    }
    out["n"] = int(len(targets))
    return out


def plot_reliability(metrics: dict[str, Any], path: str | Path, title: str = "Reliability") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = metrics.get("reliability", [])
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=110)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    if bins:
        mids = [(b["lo"] + b["hi"]) / 2 for b in bins]
        width = bins[0]["hi"] - bins[0]["lo"]
        ax.bar(mids, [b["accuracy"] for b in bins], width=width * 0.9, alpha=0.7, label="accuracy", edgecolor="black")
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o", color="darkred", label="bin mean")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{title} (ECE {metrics.get('ece', 0):.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


FULL_CONFUSION_MAX_CLASSES = 50


def for_disk(metrics: dict[str, Any], labels: Sequence[str] | None = None, top: int = 200) -> dict[str, Any]:
    """``metrics`` as written to ``metrics.json``: above 50 classes the full confusion matrix (622 x 622 for the
    diagnosis model, megabytes of zeros) becomes its ``top`` most frequent confusions, off the diagonal, as
    ``[gold, predicted, count]`` (label names when ``labels`` is given); the plots are drawn before this."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            out[key] = for_disk(value, labels, top)
        elif key == "confusion_matrix" and isinstance(value, list) and len(value) > FULL_CONFUSION_MAX_CLASSES:
            m = np.asarray(value)
            off = [(int(m[i, j]), i, j) for i, j in zip(*np.nonzero(m), strict=True) if i != j]
            off.sort(key=lambda t: (-t[0], t[1], t[2]))
            name = (lambda i: labels[i]) if labels is not None and len(labels) == len(m) else (lambda i: i)
            out["top_confusions"] = [[name(i), name(j), c] for c, i, j in off[:top]]
        else:
            out[key] = value
    return out


def plot_confusion(matrix: Sequence[Sequence[int]], labels: Sequence[str], path: str | Path, max_labels: int = 40) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = np.asarray(matrix)
    labels = list(labels)
    if len(labels) > max_labels:  # keep the most frequent classes readable
        keep = np.argsort(-m.sum(axis=1))[:max_labels]
        m = m[np.ix_(keep, keep)]
        labels = [labels[i] for i in keep]
    size = max(4.0, 0.3 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size), dpi=110)
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(labels) <= 15:
        for i in range(len(labels)):
            for j in range(len(labels)):
                ax.text(j, i, int(m[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] > m.max() / 2 else "black")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_entity_f1(metrics: dict[str, Any], path: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per = metrics.get("per_type", {})
    names = sorted(per)
    fig, ax = plt.subplots(figsize=(max(4, len(names) * 1.2), 3.5), dpi=110)
    x = np.arange(len(names))
    for k, key in enumerate(("precision", "recall", "f1")):
        ax.bar(x + (k - 1) * 0.25, [per[n][key] for n in names], width=0.25, label=key)
    ax.set_xticks(x, names)
    ax.set_ylim(0, 1)
    ax.set_title(f"strict entity-level (micro F1 {metrics.get('f1', 0):.3f})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
