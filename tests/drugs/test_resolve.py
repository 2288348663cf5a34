"""Name resolution: generic, other names, brands, misspellings, free text, fuzzy matching."""

from __future__ import annotations

import pytest

from medassist.drugs.checker import get_resolver
from medassist.drugs.data import DrugDB
from medassist.drugs.resolve import Resolver, key, split_entries


@pytest.fixture(scope="module")
def r(db: DrugDB) -> Resolver:
    return get_resolver(db)


def one(results: list) -> tuple[str, str]:
    assert len(results) == 1, results
    return results[0].id, results[0].method


@pytest.mark.parametrize(
    ("text", "drug", "method"),
    [
        ("warfarin", "warfarin", "generic_name"),
        ("WARFARIN", "warfarin", "generic_name"),
        ("acetaminophen", "paracetamol", "other_name"),
        ("Albuterol", "salbutamol", "other_name"),
        ("epinephrine", "adrenaline", "other_name"),
        ("glyburide", "glibenclamide", "other_name"),
        ("meperidine", "pethidine", "other_name"),
        ("Advil", "ibuprofen", "brand"),
        ("Zocor", "simvastatin", "brand"),
        ("Coumadin", "warfarin", "brand"),
        ("Nurofen", "ibuprofen", "brand"),
        ("Tylenol #3", "co_codamol", "brand"),
        ("ibuprofin", "ibuprofen", "misspelling"),
        ("amoxicilin", "amoxicillin", "misspelling"),
        ("co-amoxiclav", "co_amoxiclav", "generic_name"),
        ("St. John's Wort", "st_johns_wort", "generic_name"),
    ],
)
def test_names(r: Resolver, text: str, drug: str, method: str) -> None:
    assert one(r.drug(text)) == (drug, method)


@pytest.mark.parametrize(
    ("text", "drug"),
    [
        ("atorvastatin 20mg daily", "atorvastatin"),
        ("Advil 200 mg prn", "ibuprofen"),
        ("metformin 500mg BD PO", "metformin"),
        ("atorvastatin calcium 40 mg", "atorvastatin"),
        ("esomeprazole magnesium 20mg od", "esomeprazole"),
        ("potassium chloride 600 mg", "potassium_chloride"),
        ("insulin glargine 10 units at night", "insulin_glargine"),
        ("salbutamol inhaler 2 puffs qds prn", "salbutamol"),
        ("co-amoxiclav 625mg tds", "co_amoxiclav"),
    ],
)
def test_free_text_strips_dose_route_frequency(r: Resolver, text: str, drug: str) -> None:
    res = r.drug(text)
    assert [x.id for x in res] == [drug]
    assert res[0].within


def test_fuzzy_match_reports_score(r: Resolver) -> None:
    res = r.drug("atorvastatn 10 mg")
    assert one(res) == ("atorvastatin", "fuzzy")
    assert 86 <= res[0].score < 100
    assert "fuzzy" in res[0].how


def test_unknown_is_empty_with_suggestions(r: Resolver) -> None:
    assert r.drug("foobarolol") == []
    assert r.drug("zzzz 10 mg") == []
    assert r.suggestions("metoprolo", "drug")


def test_sound_alike_names_are_not_confused(r: Resolver) -> None:
    assert one(r.drug("hydroxyzine"))[0] == "hydroxyzine"
    assert one(r.drug("hydralazine"))[0] == "hydralazine"
    assert r.drug("hydroxyzaline") == [] or one(r.drug("hydroxyzaline"))[0] in {"hydroxyzine", "hydralazine"}


def test_two_drugs_in_one_entry_are_both_returned(r: Resolver) -> None:
    assert [x.id for x in r.drug("paracetamol + ibuprofen")] == ["paracetamol", "ibuprofen"]


@pytest.mark.parametrize(
    ("text", "cond"),
    [
        ("CKD", "ckd"),
        ("kidney disease", "ckd"),
        ("renal failure", "severe_renal_impairment"),
        ("stage 4 CKD", "severe_renal_impairment"),
        ("asthma", "asthma"),
        ("history of asthma", "asthma"),
        ("COPD", "copd"),
        ("previous MI", "myocardial_infarction"),
        ("pregnant", "pregnancy"),
        ("long QT", "long_qt"),
        ("diabetis", "diabetes"),
    ],
)
def test_conditions(r: Resolver, text: str, cond: str) -> None:
    assert [x.id for x in r.condition(text)] == [cond]


@pytest.mark.parametrize(
    ("text", "target", "ident"),
    [
        ("penicillin", "allergy_group", "penicillin"),
        ("allergic to penicillin", "allergy_group", "penicillin"),
        ("Sulfa", "allergy_group", "sulfonamide_antibiotic"),
        ("NSAIDs", "allergy_group", "nsaid"),
        ("amoxicillin", "drug", "amoxicillin"),
        ("codeine allergy", "allergy_group", "opioid"),
        ("statins", "class", "statin"),
    ],
)
def test_allergies(r: Resolver, text: str, target: str, ident: str) -> None:
    res = r.allergy(text)
    assert [(x.target, x.id) for x in res] == [(target, ident)]


def test_helpers() -> None:
    assert key("  Co-Amoxiclav® ") == "co amoxiclav"
    assert split_entries(["warfarin, ibuprofen", " ;aspirin", ""]) == ["warfarin", "ibuprofen", "aspirin"]


# ------------------------------------------------------------------------- names inside an entry (matcher)


def test_name_found_inside_a_long_entry(r: Resolver) -> None:
    res = r.drug("take two tablets of atorvastatin calcium 40 mg at night with food")
    assert [(x.id, x.matched, x.within) for x in res] == [("atorvastatin", "atorvastatin", True)]
    assert "found in the entry" in res[0].how


def test_two_drugs_in_one_long_entry(r: Resolver) -> None:
    res = r.drug("metformin 500 mg + sitagliptin 50 mg, both with breakfast")
    assert [(x.id, x.within) for x in res] == [("metformin", True), ("sitagliptin", True)]
    assert [x.id for x in r.drug("aspirin 75mg and clopidogrel 75mg once daily")] == ["aspirin", "clopidogrel"]


def test_the_longest_name_wins_wherever_it_stands(r: Resolver) -> None:
    # "Canesten Oral" (a fluconazole brand) and "oral contraceptive pill" overlap: the longer name wins,
    # although it starts later in the entry.
    res = r.drug("canesten oral contraceptive pill")
    assert [(x.id, x.matched) for x in res] == [("combined_oral_contraceptive", "oral contraceptive pill")]


def test_names_come_from_the_one_index(mini_db: DrugDB) -> None:
    r = Resolver(mini_db)
    names = {key(t.text) for target in ("drug", "condition", "allergy_group", "class") for t in mini_db.terms(target)}
    assert {"coumadin", "ibuprofin", "acetaminophen", "renal failure", "penicillins", "nsaid"} <= names
    assert [(x.id, x.method) for x in r.drug("coumadin 5mg")] == [("warfarin", "brand")]
    assert [(x.target, x.id) for x in r.allergy("allergy to nsaid")] == [("class", "nsaid")]
