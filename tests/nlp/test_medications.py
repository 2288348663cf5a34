import pytest

from medassist.nlp.medications import parse_signature


@pytest.mark.parametrize(
    ("sig", "expected"),
    [
        (
            " 25 mg po bid x 7 days",
            {"dose": "25", "unit": "mg", "route": "oral", "frequency": "twice a day", "duration": "7 days"},
        ),
        (" 40mg IV daily", {"dose": "40", "unit": "mg", "route": "intravenous", "frequency": "once a day"}),
        (
            " 2 puffs q4h prn wheeze",
            {
                "dose": "2",
                "unit": "puff",
                "frequency": "every 4 hours",
                "as_needed": True,
                "as_needed_for": "wheeze",
            },
        ),
        (
            " 1-2 tabs q4-6h prn pain",
            {"dose": "1-2", "unit": "tablet", "frequency": "every 4-6 hours", "as_needed_for": "pain"},
        ),
        (" 81 mg PO QD", {"dose": "81", "route": "oral", "frequency": "once a day"}),
        (" 500 mg three times daily for 10 days", {"frequency": "three times a day", "duration": "10 days"}),
        (
            " 20 units subcutaneously qhs",
            {"unit": "unit", "route": "subcutaneous", "frequency": "at bedtime"},
        ),
        (
            " 0.4 mg SL q5min x 3 doses prn chest pain",
            {"dose": "0.4", "route": "sublingual", "frequency": "every 5 minutes", "duration": "3 doses"},
        ),
        (" 10 mg qid", {"frequency": "four times a day"}),
        (" 50 mcg tid", {"unit": "mcg", "frequency": "three times a day"}),
    ],
)
def test_signatures(sig: str, expected: dict) -> None:
    got = parse_signature(sig)
    assert {k: got.get(k) for k in expected} == expected


def test_attributes_on_drug_entities(analysis_nlp) -> None:
    text = "MEDICATIONS: metoprolol 25 mg po bid x 7 days; Lasix 40mg IV daily; albuterol 2 puffs q4h prn wheeze.\nALLERGIES: penicillin."
    drugs = {e.text: e.attributes for e in analysis_nlp(text).entities if e.label == "drug"}
    assert drugs["metoprolol"]["dosage_text"] == "25 mg po bid x 7 days"
    assert drugs["Lasix"]["drug"] == "furosemide" and drugs["Lasix"]["route"] == "intravenous"
    assert drugs["albuterol"]["as_needed"] is True
    assert drugs["penicillin"]["allergy"] is True and "dose" not in drugs["penicillin"]
