"""The fine-tuning engine: corpus readers, recipes, metrics (imports torch only when a recipe runs).

    from medassist.training import train
    result = train("configs/train/bc5cdr.yaml", ["training.epochs=3"])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def train(config: str | Path | dict[str, Any], overrides: list[str] | None = None):
    """Load a config (file or dict), apply overrides, run the recipe for its task; returns a RunResult."""
    from medassist.errors import require_extra

    require_extra("train")  # before a long run, not at its end when the metrics are computed
    from medassist.training.config import load_config
    from medassist.training.recipes import train as run

    return run(load_config(config, overrides))


def evaluate(model: str | Path, data: str | Path, **kwargs: Any) -> dict[str, Any]:
    """Evaluate a model directory on labelled data (see medassist.training.evaluate.evaluate)."""
    from medassist.errors import require_extra

    require_extra("train")
    from medassist.training.evaluate import evaluate as run

    return run(model, data, **kwargs)


__all__ = ["evaluate", "train"]
