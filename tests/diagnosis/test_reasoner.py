"""Reasoner, triage and interview on the fixture knowledge base."""

from __future__ import annotations

import numpy as np
import pytest

from medassist.diagnosis.interview import InterviewSettings, next_question
from medassist.diagnosis.reasoner import Case, Observation
from medassist.diagnosis.triage import triage


def case(present=(), absent=(), **kw):
    c = Case(**kw)
    for f in present:
        c.add(Observation(f, True))
    for f in absent:
        c.add(Observation(f, False))
    return c


def top(reasoner, c):
    post = reasoner.posterior(c)
    return reasoner.condition_ids[int(np.argmax(post[:-1]))], post


def test_posterior_sums_to_one_and_has_other_mass(reasoner):
    for c in (case(), case(["fever"]), case(["cough", "fever"], ["runny_nose"], age=70, sex="male", duration="days")):
        post = reasoner.posterior(c)
        assert post.shape == (len(reasoner.condition_ids) + 1,)
        assert abs(post.sum() - 1) < 1e-9 and (post >= 0).all()
        assert post[-1] > 0  # "not in the knowledge base" always keeps some mass


def test_evidence_moves_the_posterior_the_right_way(reasoner):
    assert top(reasoner, case(["runny_nose", "sore_throat"]))[0] == "common_cold"
    assert top(reasoner, case(["sore_throat", "fever"], ["cough", "runny_nose"]))[0] == "strep_throat"
    assert top(reasoner, case(["chest_pain_crushing", "sweating"], age=60, sex="male"))[0] == "myocardial_infarction"


def test_negation_flips_a_finding(reasoner):
    _, with_fever = top(reasoner, case(["headache", "fever"]))
    _, without = top(reasoner, case(["headache"], ["fever"]))
    i = reasoner.c_index["tension_headache"]
    m = reasoner.c_index["meningitis"]
    assert without[i] > with_fever[i] and without[m] < with_fever[m]


def test_child_finding_implies_parent_and_absent_parent_rules_out_child(reasoner):
    expanded = reasoner.expand(case(["chest_pain_crushing"]))
    assert expanded.observations["chest_pain"].present and expanded.observations["chest_pain"].source == "implied"
    expanded = reasoner.expand(case([], ["chest_pain"]))
    assert expanded.observations["chest_pain_crushing"].present is False


def test_unrelated_symptoms_raise_not_covered(reasoner):
    """Findings no condition explains (by base rate) leave more mass on 'other' than a typical picture does."""
    _, typical = top(reasoner, case(["runny_nose", "sore_throat", "cough"]))
    _, odd = top(reasoner, case(["smoker", "sweating"], ["runny_nose", "sore_throat", "cough", "fever", "headache"]))
    assert odd[-1] > typical[-1]


def test_duration_is_evidence(reasoner):
    _, hours = top(reasoner, case(["chest_pain"], duration="hours", age=60, sex="male"))
    _, weeks = top(reasoner, case(["chest_pain"], duration="weeks", age=60, sex="male"))
    mi = reasoner.c_index["myocardial_infarction"]
    assert hours[mi] > weeks[mi]


def test_age_band_with_zero_prior_excludes(fixture_kb):
    from medassist.diagnosis.reasoner import Reasoner

    r = Reasoner(fixture_kb)
    assert np.isfinite(r.log_prior(30, "female")).all()


def test_identical_input_gives_identical_output(reasoner):
    c = case(["cough", "fever"], ["runny_nose"], age=40, sex="female")
    a, b = reasoner.posterior(c), reasoner.posterior(c)
    assert np.array_equal(a, b)


def test_evidence_for_and_against_as_likelihood_ratios(reasoner):
    c = reasoner.expand(case(["sore_throat", "fever"], ["runny_nose", "cough"]))
    pro, con = reasoner.evidence(c, "common_cold")
    # sore throat: 0.5 / 0.06 = 8.3; fever: 0.1 / 0.05 = 2.0 -> both for, strongest first
    assert [e.finding for e in pro] == ["sore_throat", "fever"]
    assert pro[0].likelihood_ratio == pytest.approx(8.33, abs=0.01)
    # absent runny nose: 0.1 / 0.94 = 0.11 -> strongly against; absent cough: 0.5 / 0.9 = 0.56
    assert [e.finding for e in con if e.likelihood_ratio is not None] == ["runny_nose", "cough"]
    strep_pro, strep_con = reasoner.evidence(c, "strep_throat")
    assert "cough" not in {e.finding for e in strep_pro + strep_con}  # p 0.1 = base rate 0.1: no evidence


# --------------------------------------------------------------------------- triage

def test_red_flag_forces_emergency_even_when_posterior_is_benign(reasoner):
    c = case(["fever", "neck_stiffness", "runny_nose", "sore_throat", "cough"])
    t, flags = triage(reasoner, c, reasoner.posterior(c))
    assert t.level == "emergency_ambulance" and flags and flags[0].id == "meningism_fever"
    assert t.reasons[0].startswith("Red flag")
    assert "meningitis" in t.advice.lower()


def test_a_single_any_finding_fires_a_rule(reasoner):
    c = case(["rash_non_blanching"])
    assert triage(reasoner, c, reasoner.posterior(c))[0].level == "emergency_ambulance"


def test_benign_picture_is_self_care_and_unknown_is_not(reasoner):
    c = case(["runny_nose", "sore_throat"], ["fever"], duration="days")
    assert triage(reasoner, c, reasoner.posterior(c))[0].level == "self_care"
    empty = case()
    t, _ = triage(reasoner, empty, reasoner.posterior(empty))
    assert t.level is None and "could not find symptoms" in t.advice


def test_posterior_triage_escalates_with_cardiac_picture(reasoner):
    c = case(["chest_pain", "sweating"], age=62, sex="male", duration="hours")
    assert triage(reasoner, c, reasoner.posterior(c))[0].level == "emergency_ambulance"


# --------------------------------------------------------------------------- interview

def test_information_gain_picks_the_discriminating_question(reasoner):
    """Sore throat: cold vs strep. Fever separates them (0.1 vs 0.7); a finding both share weakly does not."""
    c = case(["sore_throat"], age=25, sex="female", duration="days")
    q = next_question(reasoner, c, reasoner.posterior(c), InterviewSettings(safety_questions=0))
    assert q is not None and q.finding in ("fever", "runny_nose")
    assert q.expected_information_gain > 0.1


def test_children_are_asked_only_after_their_parent(reasoner):
    c = case(["sweating"], age=60, sex="male")
    seen = set()
    for _ in range(6):
        q = next_question(reasoner, c, reasoner.posterior(c), InterviewSettings(confidence=0.999, min_gain=0.0))
        if q is None:
            break
        seen.add(q.finding)
        if q.finding == "chest_pain_crushing":
            assert c.observations["chest_pain"].present
        c.asked.add(q.finding)
        c.add(Observation(q.finding, q.finding == "chest_pain", "answer"))
    assert "chest_pain" in seen


def test_stop_rule_budget_and_confidence(reasoner):
    c = case(["runny_nose"])
    c.asked.update({"a", "b"})
    assert next_question(reasoner, c, reasoner.posterior(c), InterviewSettings(budget=2)) is None
    c2 = case(["chest_pain_crushing", "sweating", "chest_pain", "breathlessness", "smoker"], age=60, sex="male", duration="hours", onset="sudden")
    post = reasoner.posterior(c2)
    assert next_question(reasoner, c2, post, InterviewSettings(confidence=float(post[:-1].max()) - 1e-9)) is None


def test_warning_signs_are_screened_first(reasoner):
    c = case(["headache", "fever"], age=20, sex="male")
    post = reasoner.posterior(c)
    assert post[reasoner.c_index["meningitis"]] < 0.1  # unlikely, yet not excluded
    q = next_question(reasoner, c, post)
    assert q.finding in ("neck_stiffness", "rash_non_blanching") and "warning sign" in q.reason
    # with screening off, information gain alone prefers another question
    q2 = next_question(reasoner, c, post, InterviewSettings(safety_questions=0))
    assert q2.finding != q.finding
