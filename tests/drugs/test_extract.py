"""Interaction extraction from text: drug mentions, and the plumbing with a tiny relation model."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from medassist.drugs.data import get_db
from medassist.drugs.extract import InteractionExtractor, MentionFinder
from medassist.errors import ConfigError
from medassist.models import load_model

TEXT = ("Concomitant use of warfarin and ibuprofen increases the risk of bleeding. "
        "Clarithromycin raises simvastatin concentrations. Paracetamol is well tolerated.")


def test_mentions_cover_generics_brands_and_classes():
    finder = MentionFinder(get_db())
    found = {(m.text.lower(), m.kind) for m in finder.find("Advil with Coumadin, or NSAIDs with warfarin.")}
    assert ("advil", "drug") in found and ("coumadin", "drug") in found and ("warfarin", "drug") in found
    assert any(kind == "class" for _, kind in found)


def test_extract_pairs_within_sentences(tiny_relation_model):
    ex = InteractionExtractor(load_model(tiny_relation_model), threshold=0.0)
    ex.negative = "__keep_everything__"  # an untrained model: check the plumbing on every candidate
    rels = ex.extract(TEXT, doc="d1")
    assert rels, "two sentences with two drugs each must give candidates"
    for r in rels:
        assert r.doc == "d1" and r.type in {"effect", "mechanism", "advise", "none"}
        for d in (r.drug1, r.drug2):
            assert TEXT[d.start:d.end] == d.text
        assert r.drug1.id != r.drug2.id
        assert TEXT[r.sentence_start:r.sentence_start + len(r.sentence)] == r.sentence
    assert not any("paracetamol" in (r.drug1.id, r.drug2.id) for r in rels)  # alone in its sentence


def test_extract_cli_writes_jsonl(tiny_relation_model, tmp_path):
    from medassist.drugs.cli import app

    src = tmp_path / "label.txt"
    src.write_text(TEXT)
    out = tmp_path / "rels.jsonl"
    res = CliRunner().invoke(app, ["extract", str(src), "--model", str(tiny_relation_model), "--threshold", "0", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for line in out.read_text().splitlines():
        assert {"sentence", "drug1", "drug2", "type", "score"} <= set(json.loads(line))


def test_extract_without_a_model_says_how_to_get_one(tmp_path):
    with pytest.raises(ConfigError) as exc:
        InteractionExtractor.load(tmp_path)
    assert "benchmarks/ddi.py" in str(exc.value)


def test_several_mentions_with_offsets_and_whole_words():
    finder = MentionFinder(get_db())
    text = ("Advil (ibuprofen) with COUMADIN; NSAIDs, Motrin IB and Tylenol #3 but not warfarin-induced "
            "bleeding or non-aspirin users.")
    found = finder.find(text)
    assert [(m.text, m.kind, m.id) for m in found] == [
        ("Advil", "drug", "ibuprofen"),
        ("ibuprofen", "drug", "ibuprofen"),
        ("COUMADIN", "drug", "warfarin"),
        ("NSAIDs", "class", "nsaid"),
        ("Motrin IB", "drug", "ibuprofen"),  # the longest name, not "Motrin" alone
        ("Tylenol #3", "drug", "co_codamol"),
    ]
    assert all(text[m.start:m.end] == m.text for m in found)


def test_a_name_must_stand_as_written():
    finder = MentionFinder(get_db())
    assert [m.text for m in finder.find("Motrin  IB")] == ["Motrin"]  # two spaces: not the brand "Motrin IB"
    assert finder.find("warfarin-treated and non-warfarin patients") == []
    assert [m.text for m in finder.find("E.E.S. was given")] == ["E.E.S."]
    assert finder.find("E.E.S.x") == []
