"""MedAssist: clinical language models on an ordinary CPU.

Importing this package is cheap: it loads neither torch nor the knowledge base.  Heavy objects are
built on demand:

    nlp = medassist.load()            # the clinical note pipeline (configs/pipeline.yaml)
    note = nlp("Pt denies chest pain. HTN on lisinopril 10 mg daily.")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from medassist.pipeline import Pipeline


def load(config: str | Path | dict[str, Any] | None = None) -> Pipeline:
    """Build the clinical note pipeline from a config (default: the shipped ``configs/pipeline.yaml``)."""
    from medassist.pipeline import Pipeline

    return Pipeline.from_config(config)


__all__ = ["__version__", "load"]
