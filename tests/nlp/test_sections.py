import pytest

from medassist.doc import Note
from medassist.errors import ConfigError
from medassist.nlp.sections import make_sectionizer

NOTE = """CC: chest pain
HPI: 67M with HTN.
PMH
- HTN
Past Surgical History: appendectomy
Meds:
metoprolol 25 mg bid
Allergies: NKDA
FAMILY HISTORY: Mother with breast cancer.
Social Hx: no smoking.
ROS: negative.
PHYSICAL EXAMINATION
General: well.
LABS: CBC normal.
Impression: chest pain.
A/P: r/o ACS.
Plan - follow up.
DOPPLER: normal.
the history of diabetes here is not a heading.
"""


def test_headings_variants_and_abbreviations() -> None:
    secs = make_sectionizer()(Note(text=NOTE)).sections
    assert [s.name for s in secs] == [
        "chief_complaint", "history_of_present_illness", "past_medical_history", "past_surgical_history",
        "medications", "allergies", "family_history", "social_history", "review_of_systems", "physical_exam",
        "results", "assessment", "assessment_and_plan", "plan", "other",
    ]  # fmt: skip
    fam = secs[6]
    assert NOTE[fam.start : fam.body_start].startswith("FAMILY HISTORY:")
    assert NOTE[fam.body_start : fam.end].strip() == "Mother with breast cancer."
    for a, b in zip(secs, secs[1:], strict=False):
        assert a.end == b.start


def test_inline_capital_headings_of_transcriptions() -> None:
    text = (
        "CHIEF COMPLAINT:, Chest pain.,HISTORY OF PRESENT ILLNESS:, He is 45.,ASSESSMENT AND PLAN:, stable."
    )
    names = [s.name for s in make_sectionizer()(Note(text=text)).sections]
    assert names == ["chief_complaint", "history_of_present_illness", "assessment_and_plan"]


def test_lower_case_words_are_not_headings() -> None:
    text = "He has a history: of falls.\nplan: none\n"
    assert make_sectionizer()(Note(text=text)).sections == []


def test_unknown_setting_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        make_sectionizer(colour="blue")
