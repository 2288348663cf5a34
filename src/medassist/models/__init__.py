"""Trained models: base encoders, heads and adapters, the model directory format, and inference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medassist.models.predict import TextClassifier, TokenClassifier


def load_model(path: Any, **kwargs: Any) -> TokenClassifier | TextClassifier:
    """Load a MedAssist model directory for inference (imports torch on first call)."""
    from medassist.models.predict import load_model as _load

    return _load(path, **kwargs)


__all__ = ["load_model"]
