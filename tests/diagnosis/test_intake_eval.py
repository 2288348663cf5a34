"""The labelled patient sentences (benchmarks/intake) are well-formed, and the scorer of
benchmarks/intake_eval.py gives 1.0 only to a perfect reading."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "intake_eval.py"
REGISTERS = {"plain", "rambling", "list", "negation", "proxy_child", "relative", "history"}


def _load_script():
    spec = importlib.util.spec_from_file_location("intake_eval", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ev = _load_script()


@pytest.fixture(scope="module")
def records():
    return ev.load_set()


@pytest.fixture(scope="module")
def shipped_kb():
    from medassist.knowledge.kb import KnowledgeBase

    return KnowledgeBase.load()


def test_set_size_and_registers(records):
    assert len(records) == 300
    assert {r["register"] for r in records} <= REGISTERS
    negated = sum(not f["present"] for r in records for f in r["findings"])
    assert negated >= 45  # the negation share is labelled with absent findings


def test_records_have_the_fields(records):
    for r in records:
        missing = [k for k in ev.REQUIRED if k not in r]
        assert not missing, (r.get("id"), missing)
        assert isinstance(r["id"], str) and r["id"]
        assert isinstance(r["text"], str) and r["text"].strip(), r["id"]
        assert isinstance(r["age"], (int, float)) and 0 <= r["age"] <= 120 and not math.isnan(r["age"]), r["id"]
        assert r["sex"] in ("female", "male"), r["id"]
        assert r["register"] in REGISTERS, r["id"]
        assert isinstance(r["findings"], list) and r["findings"], r["id"]
        for f in r["findings"]:
            assert set(f) == {"id", "present"}, (r["id"], f)
            assert isinstance(f["present"], bool), (r["id"], f)
        ids = [f["id"] for f in r["findings"]]
        assert len(ids) == len(set(ids)), f"{r['id']}: a finding labelled twice"


def test_ids_are_unique(records):
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))


def test_every_finding_exists_in_the_knowledge_base(records, shipped_kb):
    unknown = sorted({(r["id"], f["id"]) for r in records for f in r["findings"] if f["id"] not in shipped_kb.findings})
    assert not unknown, unknown


def test_perfect_prediction_scores_one(records):
    gold = [ev.gold_labels(r) for r in records]
    s = ev.score(gold, [set(g) for g in gold])
    assert s["strict"]["precision"] == s["strict"]["recall"] == s["strict"]["f1"] == 1.0
    assert s["lenient"]["f1"] == 1.0
    assert s["polarity_errors"] == 0


def test_wrong_predictions_score_less(records):
    gold = [ev.gold_labels(r) for r in records]
    # nothing read
    assert ev.score(gold, [set() for _ in gold])["strict"]["recall"] == 0.0
    # every value flipped: no strict match, every label a polarity error
    flipped = [{(i, not v) for i, v in g} for g in gold]
    s = ev.score(gold, flipped)
    assert s["strict"]["f1"] == 0.0
    assert s["polarity_errors"] == sum(len(g) for g in gold)
    # one spurious finding added to each record: recall stays 1, precision drops
    extra = [set(g) | {("made_up_finding", True)} for g in gold]
    s = ev.score(gold, extra)
    assert s["strict"]["recall"] == 1.0 and s["strict"]["precision"] < 1.0


def test_lenient_accepts_ancestor_and_descendant_but_not_polarity():
    gold = [{("cough_productive", True)}, {("fever", False)}, {("rash", True)}]
    pred = [{("cough", True)}, {("fever_high", False)}, {("rash", False)}]
    s = ev.score(gold, pred)
    assert s["strict"]["f1"] == 0.0
    assert s["lenient"]["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["lenient"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["polarity_errors"] == 1
    assert s["polarity_errors_detail"] == {"present_read_as_absent": 1, "absent_read_as_present": 0}
    # a shared prefix that is not a parent (sore_throat / sore_not_healing) is not related
    assert not ev.related("sore_throat", "sore_not_healing")
    assert ev.related("back_pain", "back_pain_lower") and ev.related("back_pain_lower", "back_pain")
