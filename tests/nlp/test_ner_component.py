"""The transformer `ner` component: model spans become pipeline entities with the right labels and offsets."""

from __future__ import annotations

import pytest

from medassist.doc import Entity, Note
from medassist.errors import ConfigError
from medassist.nlp.ner import make_ner
from medassist.pipeline import Pipeline


def test_ner_adds_mapped_entities_with_offsets(tiny_token_model):
    ner = make_ner([{"path": str(tiny_token_model), "labels": {"Chemical": "drug", "Disease": "problem"}}], threshold=0.0)
    text = "Aspirin induced asthma in a patient with hypertension . " * 40  # long: several windows
    note = ner(Note(text))
    assert all(e.source == "ner" and e.label in ("drug", "problem") for e in note.entities)
    for e in note.entities:
        assert text[e.start:e.end] == e.text and 0 <= e.score <= 1
    # entities never overlap after merging
    ordered = sorted(note.entities, key=lambda e: e.start)
    assert all(a.end <= b.start for a, b in zip(ordered, ordered[1:], strict=False))


def test_unmapped_labels_are_dropped(tiny_token_model):
    ner = make_ner([{"path": str(tiny_token_model), "labels": {"Chemical": "drug"}}], threshold=0.0)
    note = ner(Note("Cisplatin nephrotoxicity was reduced by magnesium ."))
    assert {e.label for e in note.entities} <= {"drug"}


def test_merges_with_existing_lexicon_entities(tiny_token_model):
    ner = make_ner([{"path": str(tiny_token_model), "labels": {"Chemical": "drug", "Disease": "problem"}}], threshold=0.0)
    note = Note("Warfarin and ibuprofen together raise bleeding risk .")
    note.entities = [Entity(0, 8, "drug", "Warfarin", 1.0, "lexicon")]
    note = ner(note)
    starts = [e.start for e in note.entities]
    assert len(starts) == len(set(starts))
    assert any(e.start == 0 for e in note.entities)


def test_runs_inside_a_pipeline_before_entities(tiny_token_model):
    nlp = Pipeline.from_config({"components": [
        {"name": "sentences"},
        {"name": "ner", "settings": {"models": [{"path": str(tiny_token_model), "labels": {"Disease": "problem"}}]}},
    ]})
    assert nlp.names == ["sentences", "ner"]
    assert isinstance(nlp("Gentamicin caused acute renal failure .").entities, list)


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="E204"):
        make_ner([{"path": str(tmp_path / "nope")}])


def test_wrong_task_is_refused(tiny_relation_model):
    with pytest.raises(ConfigError, match="E209"):
        make_ner([{"path": str(tiny_relation_model)}])
