"""Free-text intake on the shipped lexicon (no embeddings: fast and deterministic)."""

from __future__ import annotations

import pytest

from medassist.diagnosis.demographics import extract_age, extract_duration, extract_onset, extract_sex
from medassist.diagnosis.intake import Intake, IntakeSettings
from medassist.knowledge import KnowledgeBase
from medassist.matcher import stem


@pytest.fixture(scope="module")
def intake():
    return Intake(KnowledgeBase.load(), IntakeSettings(use_embeddings=False))


def obs(intake, text):
    return {o.id: o.present for o in intake.extract(text).observations}


def test_lay_phrases_and_clinical_abbreviations(intake):
    assert obs(intake, "burning when I pee")["dysuria"] is True
    assert obs(intake, "45M with CP and SOB")["chest_pain"] is True


@pytest.mark.parametrize("text", ["I don't have a fever", "I dont have a fever", "no fever", "denies fever", "never had a fever"])
def test_negation_flips_a_finding(intake, text):
    assert obs(intake, text).get("fever") is False


def test_negation_does_not_leak_past_but(intake):
    o = obs(intake, "No fever but my throat hurts")
    assert o.get("fever") is False and any(v for k, v in o.items() if "throat" in k)


def test_someone_elses_history_and_hypotheticals(intake):
    r = intake.extract("My dad had a heart attack at 50. If I get chest pain I will call.")
    ids = {o.id for o in r.observations}
    assert "chest_pain" not in ids
    assert any(i.startswith("family_history") for i in ids)


@pytest.mark.parametrize("text,wrong", [
    ("I splashed boiling water on my hand", "skin_abscess"),
    ("I held it under cold running water", "diarrhoea"),
    ("I roll over in bed and feel dizzy", "binge_eating"),
])
def test_single_word_phrases_need_the_exact_word(intake, text, wrong):
    assert wrong not in obs(intake, text)


def test_spelling_correction(intake):
    assert "diarrhoea" in obs(intake, "I have diarhoea since yesterday")


def test_stemmer():
    assert stem("coughing") == stem("coughs") == "cough"
    assert stem("vomited") == stem("vomiting") == "vomit"


def test_demographics_and_course():
    assert extract_age("I'm a 34 year old woman").value == 34 and extract_sex("I'm a 34 year old woman").value == "female"
    assert extract_sex("my wife says I snore") is None
    assert extract_age("My 6 month old baby").value == 0.5
    assert extract_sex("45M, chest pain").value == "male"
    assert extract_duration("cough for 3 weeks").value == "weeks"
    assert extract_duration("since this morning").value == "hours"
    assert extract_duration("3/7 of fever").value == "days"
    assert extract_onset("it came on suddenly").value == "sudden"


def test_stiff_neck_with_fever_reaches_the_red_flag_without_embeddings(intake):
    """Regression (service review): lexicon-only intake missed 'stiff neck', so fever + stiff neck was not an emergency."""
    assert obs(intake, "fever and a stiff neck") == {"fever": True, "neck_stiffness": True}


def test_a_parent_writing_about_their_child_keeps_the_childs_findings(intake):
    """Regression (held-out test t113): 'my daughter' made ConText treat every finding as a relative's."""
    o = obs(intake, "My 18 month old daughter has had a temperature since last night and just now she went stiff "
                    "and her arms and legs jerked for about 2 minutes.")
    assert o.get("fever") is True and o.get("seizure") is True


def test_other_relatives_still_make_family_history(intake):
    r = intake.extract("My mum had breast cancer. I found a lump in my breast.")
    ids = {o.id for o in r.observations}
    assert "family_history_breast_cancer" in ids and "breast_cancer" not in ids


def test_duration_is_the_first_time_expression():
    """Regression (held-out test t004): 'once last year' was read as the duration of today's episode."""
    assert extract_duration("About an hour ago my heart started racing. It happened once last year.").value == "hours"
    assert extract_duration("Cough for 3 weeks, and since yesterday a fever").value == "weeks"
