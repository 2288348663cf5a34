"""The generated corpus: format, every template set, casing, and what the rules recall on it."""

from __future__ import annotations

import json

import pytest

from medassist.nlp.deid import PHI_TYPES, Deidentifier
from medassist.nlp.deid.synth import TEMPLATE_SETS, generate, score


def test_synthetic_corpus_format_and_rules_recall() -> None:
    recs = list(generate(40, seed=123, templates="dev"))
    assert len({r["id"] for r in recs}) == 40
    for r in recs:
        for e in r["entities"]:
            assert 0 <= e["start"] < e["end"] <= len(r["text"]) and e["label"] in PHI_TYPES
            assert r["text"][e["start"] : e["end"]].strip() == r["text"][e["start"] : e["end"]]
    assert json.loads(json.dumps(recs[0])) == recs[0]
    d = Deidentifier(secret="s", detector="rules")
    preds = [[{"start": s.start, "end": s.end, "label": s.label} for s in d.find(r["text"])] for r in recs]
    res = score(recs, preds)
    assert res["overall"]["recall"] >= 0.98 and res["overall"]["precision"] >= 0.95
    assert list(generate(3, 5, "eval")) == list(generate(3, 5, "eval"))  # deterministic


@pytest.mark.parametrize("templates", sorted(TEMPLATE_SETS))
def test_every_template_set_renders_valid_spans(templates: str) -> None:
    for r in generate(30, seed=7, templates=templates):
        assert "{" not in r["text"], "a slot was left unfilled"
        for e in r["entities"]:
            assert 0 <= e["start"] < e["end"] <= len(r["text"])


def test_nursing_notes_come_in_lower_case_and_capitals() -> None:
    recs = list(generate(200, seed=3, templates="nursing"))
    assert any(r["text"] == r["text"].lower() for r in recs)
    assert any(r["text"] == r["text"].upper() for r in recs)
