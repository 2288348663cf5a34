"""The one table of registered names -> lazy ``module:factory`` import strings.

Nothing here imports torch or reads data: a factory is only imported when a pipeline or recipe asks
for it by name.  A factory takes keyword settings (from a config) and returns the object.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

# Pipeline components: factory(**settings) -> callable Note -> Note with `reads` and `writes`.
COMPONENTS: dict[str, str] = {
    "sentences": "medassist.nlp.sentences:make_sentencizer",
    "deid": "medassist.nlp.deid:make_deid",
    "sections": "medassist.nlp.sections:make_sectionizer",
    "entities": "medassist.nlp.entities:make_entity_matcher",
    "ner": "medassist.nlp.ner:make_ner",
    "assertion": "medassist.nlp.assertion:make_assertion",
    "normalize": "medassist.nlp.normalize:make_normalizer",
    "medications": "medassist.nlp.medications:make_medications",
    # the intake of a patient's own words (configs/pipeline-intake.yaml)
    "intake_findings": "medassist.diagnosis.intake:make_intake_findings",
    "intake_observations": "medassist.diagnosis.intake:make_intake_observations",
}

# Base encoders by short name: factory() -> path of a local Hugging Face model directory.
ENCODERS: dict[str, str] = {
    "minilm": "medassist.models.encoders:minilm_path",
}

# Training recipes by task name: factory(config) -> recipe run function.
RECIPES: dict[str, str] = {
    "token_classification": "medassist.training.recipes:train_token_classifier",
    "text_classification": "medassist.training.recipes:train_text_classifier",
    "relation_classification": "medassist.training.recipes:train_text_classifier",
    "masked_lm": "medassist.training.mlm:train_masked_lm",
}


def resolve(table: dict[str, str], name: str, kind: str) -> Callable[..., Any]:
    """Import and return the factory registered as ``name`` in ``table``."""
    try:
        target = table[name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise KeyError(f"unknown {kind} {name!r}; registered: {known}") from None
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    factory: Callable[..., Any] = getattr(module, attr)
    return factory
