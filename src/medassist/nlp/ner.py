"""Transformer NER component (``ner``): entities from models trained with the fine-tuning engine.

Each configured model is a MedAssist token-classification model directory (for example the shipped
BC5CDR chemical/disease model) with a map from its labels to the pipeline's entity labels
(``Chemical -> drug``, ``Disease -> problem``).  Long notes are read in overlapping windows by the
model itself; spans keep character offsets into ``note.text``.  New entities get ``source="ner"``
and are merged with those already present by :func:`medassist.nlp.entities.merge_entities`
(longer span wins; then the model for drugs and problems, the lexicon for the rest).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from medassist.doc import Entity, Note
from medassist.errors import ConfigError, ErrorCode

log = logging.getLogger(__name__)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DEFAULT_MODELS: list[dict[str, Any]] = [
    {"path": str(ARTIFACTS / "ner-bc5cdr"), "labels": {"Chemical": "drug", "Disease": "problem"}},
]


class TransformerNER:
    reads: tuple[str, ...] = ("text",)
    writes: tuple[str, ...] = ("entities",)

    def __init__(self, models: list[tuple[Any, dict[str, str]]], threshold: float = 0.5, max_chars: int = 2_000_000) -> None:
        self.models = models
        self.threshold = threshold
        self.max_chars = max_chars

    def __call__(self, note: Note) -> Note:
        from medassist.nlp.entities import merge_entities

        if not note.text.strip() or not self.models:
            return note
        text = note.text[: self.max_chars]
        found: list[Entity] = []
        for model, label_map in self.models:
            for span in model.predict_spans([text])[0]:
                label = label_map.get(span["label"])
                if label is None or span["score"] < self.threshold:
                    continue
                found.append(Entity(span["start"], span["end"], label, span["text"], float(span["score"]), "ner",
                                    attributes={"ner_label": span["label"], "ner_model": Path(model.path).name}))
        note.entities = merge_entities([*note.entities, *found])
        return note


def make_ner(models: list[dict[str, Any]] | None = None, threshold: float = 0.5, batch_size: int = 16) -> TransformerNER:
    """Factory for the ``ner`` component.

    ``models``: list of ``{path, labels}``; ``labels`` maps the model's entity types to pipeline labels
    (types not in the map are dropped).  ``None`` = the shipped models that are present.
    """
    from medassist.models import load_model

    specs = DEFAULT_MODELS if models is None else models
    loaded = []
    for spec in specs:
        path = Path(spec["path"])
        if not (path / "medassist.json").exists():
            if models is None:
                log.warning("shipped NER model %s is missing; the ner component will add nothing from it", path.name)
                continue
            raise ConfigError(ErrorCode.E204, path=path, missing="medassist.json")
        model = load_model(path, batch_size=batch_size)
        if model.task != "token_classification":
            raise ConfigError(ErrorCode.E209, task=model.task, path=path, action="run as a NER component",
                              hint="Give a token-classification model directory.")
        loaded.append((model, dict(spec.get("labels") or {t: t.lower() for t in model.meta.get("entity_types", [])})))
    return TransformerNER(loaded, threshold=threshold)
