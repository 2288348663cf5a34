"""Integrity of the shipped knowledge base (the data itself, not just the loader)."""

from __future__ import annotations

from collections import Counter

import pytest
import simple_icd_10_cm as cm

from medassist.errors import KnowledgeBaseError
from medassist.knowledge import KnowledgeBase, age_band
from medassist.knowledge.schema import AREAS, TRIAGE_LEVELS


@pytest.fixture(scope="module")
def kb():
    return KnowledgeBase.load()


def test_size_and_coverage(kb):
    assert len(kb.conditions) >= 200
    assert len(kb.findings) >= 400
    areas = Counter(c.area for c in kb.conditions.values())
    # areas added for the knowledge base to grow into (issue 11) are required once it has grown
    required = set(AREAS) - {"haematology", "renal", "ent", "ophthalmology"} - {
        "rheumatology", "oncology", "toxicology", "mens_health", "oral_health", "vascular"}
    assert required <= set(areas), f"missing areas: {required - set(areas)}"
    assert len(kb.red_flags) >= 25


def test_every_reference_resolves(kb):
    assert kb.problems() == []
    for cond in kb.conditions.values():
        for link in cond.links:
            assert link.id in kb.findings


def test_probabilities_in_range_and_parents_not_rarer_than_children(kb):
    from medassist.diagnosis.reasoner import Reasoner

    parents = Reasoner(kb).parents  # the generic parent of a specific finding, by id prefix
    rarer = []
    for cond in kb.conditions.values():
        p = {lk.id: lk.p for lk in cond.links}
        assert all(0 < value < 1 for value in p.values())
        for fid, value in p.items():
            parent = parents.get(fid)
            if parent in p and p[parent] < value:
                rarer.append(f"{cond.id}: {parent} {p[parent]} < {fid} {value}")
    assert rarer == [], "a generic finding must be at least as common as its specific form"
    for f in kb.findings.values():
        assert 0 < f.base_rate < 1


def test_icd10_codes_are_valid(kb):
    bad = [f"{c.id}={c.icd10}" for c in kb.conditions.values() if not cm.is_valid_item(c.icd10)]
    assert bad == []


def test_every_condition_names_sources_triage_and_next_steps(kb):
    for c in kb.conditions.values():
        assert c.sources and all(s.title for s in c.sources), c.id
        assert c.triage in TRIAGE_LEVELS and c.next_steps and c.specialty
    assert set(kb.triage) == set(TRIAGE_LEVELS)


def test_findings_files_name_their_sources(kb):
    for path, sources in kb.file_sources.items():
        assert sources, f"{path} names no sources"


def test_red_flag_rules_have_sources_and_emergency_levels(kb):
    for rule in kb.red_flags:
        assert rule.level in ("emergency_ambulance", "emergency") and rule.sources and rule.message


def test_common_single_symptoms_are_not_red_flags(kb):
    for rule in kb.red_flags:
        if rule.age_min is not None or rule.age_max is not None:
            continue  # e.g. any fever in a baby under 3 months is rightly a red flag
        for lone in ("headache", "fever", "cough", "abdominal_pain", "chest_pain", "nausea", "fatigue"):
            assert rule.all + rule.any != [lone], f"{rule.id} fires on {lone} alone"


def test_priors_by_age_and_sex(kb):
    assert kb.prior("myocardial_infarction", 70, "male") > kb.prior("myocardial_infarction", 25, "female")
    female_only = [c for c in kb.conditions.values() if c.prevalence.sex["male"] == 0]
    assert female_only and all(kb.prior(c.id, 30, "male") == 0 for c in female_only)
    assert age_band(0.5) == "0-1" and age_band(70) == "65+"


def test_broken_fixture_is_rejected_with_the_file_named(tmp_path):
    (tmp_path / "findings").mkdir()
    (tmp_path / "conditions").mkdir()
    (tmp_path / "findings" / "f.yaml").write_text("sources: [{title: x source}]\nfindings:\n  - {id: Bad Id}\n")
    with pytest.raises(KnowledgeBaseError) as exc:
        KnowledgeBase.load(tmp_path)
    assert "f.yaml" in str(exc.value) and "Bad Id" in str(exc.value)
