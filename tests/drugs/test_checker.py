"""The checker: class expansion, specificity, severity order, contraindications, allergies, duplicates."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from medassist.drugs import check
from medassist.drugs.checker import DISCLAIMER, NOTHING_FOUND
from medassist.drugs.data import SEVERITY_RANK, DrugDB
from medassist.errors import DrugInputError


def kinds(result, kind: str) -> list:
    return result.by_kind(kind)


# ---------------------------------------------------------------------------------------- shipped data


def test_warfarin_ibuprofen_via_nsaid_class(db: DrugDB) -> None:
    res = check(["warfarin", "ibuprofen"], db=db)
    bleeding = [a for a in kinds(res, "interaction") if a.topic == "bleeding"]
    assert len(bleeding) == 1
    a = bleeding[0]
    assert set(a.drugs) == {"warfarin", "ibuprofen"}
    assert SEVERITY_RANK[a.severity] <= SEVERITY_RANK["major"]
    assert "ibuprofen is an NSAID" in a.why
    assert a.sources and a.management and a.effect


def test_simvastatin_clarithromycin_via_cyp3a4(db: DrugDB) -> None:
    res = check(["simvastatin", "clarithromycin"], db=db)
    a = next(a for a in kinds(res, "interaction") if a.topic == "myopathy")
    assert a.severity == "contraindicated"
    assert "clarithromycin is a strong CYP3A4 inhibitor" in a.why


def test_brand_names_work_end_to_end(db: DrugDB) -> None:
    res = check(["Coumadin", "Advil 200 mg prn", "Zocor"], db=db)
    assert {r.id for r in res.resolved} == {"warfarin", "ibuprofen", "simvastatin"}
    assert any(set(a.drugs) == {"warfarin", "ibuprofen"} for a in res.alerts)


def test_alerts_are_sorted_by_severity_then_title(db: DrugDB) -> None:
    res = check(
        ["warfarin", "ibuprofen", "simvastatin", "clarithromycin", "amoxicillin", "cefalexin", "naproxen"],
        conditions=["CKD", "asthma"],
        allergies=["penicillin"],
        db=db,
    )
    keys = [(SEVERITY_RANK[a.severity], a.title.lower()) for a in res.alerts]
    assert keys == sorted(keys)
    assert len({a.severity for a in res.alerts}) >= 3


def test_unknown_drug_is_reported_not_ignored(db: DrugDB) -> None:
    res = check(["warfarin", "notarealdrugxyz"], conditions=["flibbertigibbet"], db=db)
    assert [(u.input, u.kind) for u in res.unknown] == [
        ("notarealdrugxyz", "drug"),
        ("flibbertigibbet", "condition"),
    ]
    d = res.to_dict()
    assert d["unknown"][0]["input"] == "notarealdrugxyz"


def test_nothing_found_message_and_disclaimer(db: DrugDB) -> None:
    res = check(["amlodipine"], db=db)
    assert res.alerts == []
    assert res.note == NOTHING_FOUND
    assert "does not prove the combination is safe" in res.note
    assert res.disclaimer == DISCLAIMER
    assert "does not replace, a pharmacist's or prescriber's review" in res.to_dict()["disclaimer"]


def test_contraindication_ibuprofen_ckd(db: DrugDB) -> None:
    res = check(["ibuprofen"], conditions=["CKD"], db=db)
    (a,) = kinds(res, "contraindication")
    assert a.condition.id == "ckd" and a.condition.icd10 == "N18"
    assert a.severity == "major"
    assert "ibuprofen is an NSAID" in a.why


def test_implied_condition_picks_the_stricter_rule(db: DrugDB) -> None:
    (a,) = kinds(check(["metformin"], conditions=["renal failure"], db=db), "contraindication")
    assert a.severity == "contraindicated"
    assert a.condition.id == "severe_renal_impairment"


def test_contraindication_propranolol_asthma(db: DrugDB) -> None:
    (a,) = kinds(check(["propranolol"], conditions=["asthma"], db=db), "contraindication")
    assert a.severity == "contraindicated"
    assert "non-selective beta-blocker" in a.why
    (b,) = kinds(check(["bisoprolol"], conditions=["asthma"], db=db), "contraindication")
    assert b.severity == "major"


def test_penicillin_allergy_amoxicillin_and_cefalexin(db: DrugDB) -> None:
    res = check(["amoxicillin", "cefalexin", "ceftriaxone", "azithromycin"], allergies=["penicillin"], db=db)
    by_drug = {a.drugs[0]: a for a in kinds(res, "allergy")}
    assert by_drug["amoxicillin"].severity == "contraindicated"
    assert by_drug["cefalexin"].severity in ("major", "moderate")  # caution, not a contraindication
    assert "cross-reactivity" in by_drug["cefalexin"].title
    assert by_drug["ceftriaxone"].severity == "moderate"
    assert "azithromycin" not in by_drug


def test_allergy_via_combination_product(db: DrugDB) -> None:
    (a,) = kinds(check(["Augmentin"], allergies=["PCN"], db=db), "allergy")
    assert a.severity == "contraindicated"
    assert "contains amoxicillin" in a.why


def test_allergy_entered_as_a_drug_name(db: DrugDB) -> None:
    res = check(["co-codamol", "fentanyl"], allergies=["codeine"], db=db)
    by_drug = {a.drugs[0]: a for a in kinds(res, "allergy")}
    assert by_drug["co_codamol"].severity == "contraindicated"  # contains the very drug
    assert by_drug["fentanyl"].severity == "minor"  # structurally different opioid


def test_nsaid_allergy_cox2_is_caution(db: DrugDB) -> None:
    res = check(["naproxen", "celecoxib", "aspirin"], allergies=["aspirin sensitivity"], db=db)
    by_drug = {a.drugs[0]: a.severity for a in kinds(res, "allergy")}
    assert by_drug == {"naproxen": "contraindicated", "aspirin": "contraindicated", "celecoxib": "moderate"}


def test_duplicate_therapy_two_nsaids(db: DrugDB) -> None:
    res = check(["ibuprofen", "naproxen"], db=db)
    (a,) = kinds(res, "duplicate_therapy")
    assert set(a.drugs) == {"ibuprofen", "naproxen"}
    assert "NSAID" in a.title


def test_duplicate_ingredient_in_combination(db: DrugDB) -> None:
    res = check(["co-codamol 30/500", "paracetamol 1g qds"], db=db)
    dup = kinds(res, "duplicate_therapy")
    assert any(a.rule == "duplicate:drug:paracetamol" and a.severity == "major" for a in dup)


def test_same_drug_under_two_names(db: DrugDB) -> None:
    res = check(["Advil", "ibuprofen 400mg"], db=db)
    (a,) = kinds(res, "duplicate_therapy")
    assert a.rule == "duplicate:drug:ibuprofen"


def test_to_dict_is_json_ready(db: DrugDB) -> None:
    d = check(["warfarin", "aspirin"], conditions=["CKD"], allergies=["sulfa"], db=db).to_dict()
    text = json.dumps(d)
    assert json.loads(text)["alerts"]
    assert {"alerts", "resolved", "unknown", "note", "disclaimer", "counts"} <= set(d)
    alert = d["alerts"][0]
    assert {"kind", "severity", "involved", "why", "effect", "management", "sources"} <= set(alert)


def test_json_shape_is_stable(db: DrugDB) -> None:
    # The shape `medassist meds check --json` and the service have always given (key order included).
    d = check(["warfarin", "ibuprofen"], conditions=["CKD"], allergies=["aspirin"], db=db).to_dict()
    assert list(d) == ["alerts", "counts", "resolved", "unknown", "note", "disclaimer"]
    assert list(d["counts"]) == ["contraindicated", "major", "moderate", "minor"]
    for a in d["alerts"]:
        assert list(a) == ["kind", "severity", "title", "topic", "drugs", "involved", "why", "mechanism",
                           "effect", "management", "condition", "allergy", "rule", "sources"]
        assert list(a["involved"][0]) == ["input", "drug", "name", "agent", "explanation"]
    by_kind = {a["kind"]: a for a in d["alerts"]}
    assert by_kind["contraindication"]["condition"] == {"id": "ckd", "name": "Chronic kidney disease",
                                                        "icd10": "N18", "input": "CKD"}
    assert by_kind["allergy"]["allergy"] == {"input": "aspirin", "matched": "aspirin", "target": "drug",
                                             "id": "aspirin"}
    assert list(d["resolved"][0]) == ["input", "kind", "target", "id", "name", "method", "matched", "score",
                                      "within", "how"]
    assert json.loads(json.dumps(d)) == d


@pytest.mark.parametrize(
    ("drugs", "code"),
    [
        ([], "E711"),
        (["", "  "], "E711"),
        ("warfarin", "E714"),
        ([1, 2], "E714"),
        (["x" * 300], "E713"),
        ([f"d{i}" for i in range(60)], "E712"),
    ],
)
def test_bad_input_raises_clear_error(drugs, code: str) -> None:
    with pytest.raises(DrugInputError) as exc:
        check(drugs)
    assert code in str(exc.value)
    if code == "E711":
        assert "medassist meds check --drugs" in str(exc.value)


def test_import_reads_no_data() -> None:
    code = (
        "import sys, medassist.drugs as m; "
        "assert 'medassist.drugs.data' not in sys.modules, 'data module imported eagerly'; "
        "assert 'medassist.drugs.checker' not in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "ok" in out.stdout


# ----------------------------------------------------------------------------- fixture: checker logic


def test_most_specific_rule_wins(mini_db: DrugDB) -> None:
    # drug-drug (warfarin + naproxen) beats drug-class and class-class rules on the same topic.
    (a,) = check(["warfarin", "naproxen"], db=mini_db).by_kind("interaction")
    assert a.severity == "contraindicated" and a.effect == "warfarin-naproxen effect"
    # drug-class (warfarin + NSAID) beats class-class rules.
    (b,) = check(["warfarin", "ibuprofen"], db=mini_db).by_kind("interaction")
    assert b.effect == "warfarin-nsaid effect" and b.severity == "moderate"
    assert "ibuprofen is an NSAID" in b.why


def test_narrower_class_rule_beats_broader(mini_db: DrugDB) -> None:
    # ibuprofen + naproxen: only the broad bleeding_risk class-class rule applies.
    res = check(["ibuprofen", "naproxen"], db=mini_db)
    (a,) = res.by_kind("interaction")
    assert a.effect == "class-class effect text"
    assert "ibuprofen is an NSAID, so a drug that increases bleeding risk" in a.why


def test_topics_are_reported_separately(mini_db: DrugDB) -> None:
    res = check(["warfarin", "co-codamol"], db=mini_db)
    (a,) = res.by_kind("interaction")
    assert a.topic == "pk_increase" and "co-codamol contains paracetamol" in a.why


def test_fixture_contraindication_implication(mini_db: DrugDB) -> None:
    (a,) = check(["Advil"], conditions=["renal failure"], db=mini_db).by_kind("contraindication")
    assert a.severity == "contraindicated"
    (b,) = check(["ibuprofin"], conditions=["CKD"], db=mini_db).by_kind("contraindication")
    assert b.severity == "moderate"


def test_fixture_allergy_and_cross_reactivity(mini_db: DrugDB) -> None:
    res = check(["amoxicillin", "cefalexin", "paracetamol"], allergies=["penicillins"], db=mini_db)
    assert {a.drugs[0]: a.severity for a in res.by_kind("allergy")} == {
        "amoxicillin": "contraindicated",
        "cefalexin": "moderate",
    }


def test_fixture_duplicates(mini_db: DrugDB) -> None:
    res = check(["ibuprofen", "naproxen", "co-codamol", "acetaminophen"], db=mini_db)
    rules = sorted(a.rule for a in res.by_kind("duplicate_therapy"))
    assert rules == ["duplicate:class:nsaid", "duplicate:drug:paracetamol"]
