"""Knowing what it does not know: a presentation of a condition removed from the shipped knowledge base
gets a high "not covered" mass and says so; the same presentation with the condition present does not."""

from __future__ import annotations

import dataclasses

import pytest

from medassist.diagnosis.engine import DiagnosisEngine, load_diagnosis_config
from medassist.diagnosis.intake import Intake, IntakeSettings
from medassist.diagnosis.reasoner import Case, Observation, Reasoner, ReasonerSettings
from medassist.knowledge.kb import KnowledgeBase

# conditions with no close neighbour in the knowledge base: removing one leaves nothing that explains
# its typical findings (shingles, by contrast, is still explained by herpes zoster ophthalmicus)
DISTINCT = ("pertussis", "tetanus")


@pytest.fixture(scope="module")
def kb():
    return KnowledgeBase.load()


def _without(kb, cid):
    return dataclasses.replace(kb, conditions={c: v for c, v in kb.conditions.items() if c != cid})


def _typical_case(kb, cid):
    case = Case(age=40, sex="female")
    for link in kb.conditions[cid].links:
        if link.p >= 0.5:
            case.add(Observation(link.id, True))
    return case


@pytest.mark.parametrize("cid", DISTINCT)
def test_removed_condition_raises_not_covered(kb, cid):
    settings = ReasonerSettings()
    case = _typical_case(kb, cid)
    assert len(case.observations) >= 3
    full = Reasoner(kb, settings).posterior(case)
    removed = Reasoner(_without(kb, cid), settings).posterior(case)
    assert full[-1] < 0.01
    assert removed[-1] >= load_diagnosis_config().uncertain_other
    # the bare base rate for "other" (factor 1) was the old, over-confident model
    assert Reasoner(_without(kb, cid), dataclasses.replace(settings, other_factor=1.0)).posterior(case)[-1] < removed[-1] / 5


def test_engine_says_it_may_not_be_covered(kb):
    cfg = load_diagnosis_config()
    sub = _without(kb, "pertussis")
    engine = DiagnosisEngine(sub, cfg, intake=Intake(sub, IntakeSettings(use_embeddings=False)), neural=None)
    consultation = engine.start("I have a cough", age=40, sex="female")
    for fid in _typical_case(kb, "pertussis").observations:
        engine.answer(consultation, fid, "yes")
    result = engine.assess(consultation)
    assert not result.emergency
    assert result.differential.not_covered_probability >= cfg.uncertain_other
    assert "may not be covered" in result.message
    assert "clinician" in result.message


def test_other_factor_is_bounded(kb):
    r = Reasoner(kb, ReasonerSettings(other_factor=1000.0))
    assert float(r.p[-1].max()) <= 0.5
