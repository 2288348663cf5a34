"""metrics.json stays small: a confusion matrix over many classes is written as its top confusions."""

from __future__ import annotations

import numpy as np

from medassist.training.metrics import FULL_CONFUSION_MAX_CLASSES, for_disk


def test_a_small_confusion_matrix_is_kept_whole():
    m = {"dev": {"accuracy": 0.5, "confusion_matrix": [[1, 2], [0, 3]]}}
    assert for_disk(m, ["a", "b"]) == m


def test_a_large_confusion_matrix_becomes_its_top_confusions():
    n = FULL_CONFUSION_MAX_CLASSES + 10
    cm = np.eye(n, dtype=int) * 5
    cm[3, 7] = 4
    cm[1, 2] = 9
    cm[8, 8] = 50  # the diagonal is not a confusion
    labels = [f"c{i}" for i in range(n)]
    out = for_disk({"dev": {"accuracy": 0.9, "confusion_matrix": cm.tolist()}, "n_train": 10}, labels, top=5)
    assert "confusion_matrix" not in out["dev"] and out["dev"]["accuracy"] == 0.9 and out["n_train"] == 10
    assert out["dev"]["top_confusions"] == [["c1", "c2", 9], ["c3", "c7", 4]]
