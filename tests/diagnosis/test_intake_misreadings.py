"""Misreadings of the intake that sent benign cases to an emergency level, each fixed in general code or data.

Invented sentences in the shipped knowledge base with the bundled MiniLM embeddings (the default intake): a
positive and a negative side for each fix, so a fix that reads nothing at all fails too.
"""

from __future__ import annotations

import pytest

from medassist.diagnosis.engine import DiagnosisEngine


@pytest.fixture(scope="module")
def engine():
    return DiagnosisEngine.load(neural=False)


def read(engine, text, age=None):
    return {o.id: o.present for o in engine.read(text, age).observations}


def test_fit_the_adjective_is_not_a_seizure(engine):
    assert "seizure" not in read(engine, "I'm fit and well, not breathless.")
    assert "seizure" not in read(engine, "I sneeze in fits every morning.")
    assert read(engine, "I sneeze in fits every morning.").get("sneezing") is True
    assert read(engine, "He had a fit this morning and was shaking all over.").get("seizure") is True


def test_a_cue_reaching_over_the_start_of_a_finding_negates_it(engine):
    assert read(engine, "Otherwise well, no known diabetes.").get("diabetes_known") is False
    assert read(engine, "She has known diabetes.").get("diabetes_known") is True


def test_a_normal_measured_value_is_not_read_again_by_the_embedding(engine):
    found = read(engine, "T 37.8, HR 88, otherwise well.")
    assert found.get("resting_heart_rate_high") is not True and found.get("pulse_slow") is not True
    assert read(engine, "HR 98, BP 122/76.").get("pulse_slow") is not True
    assert read(engine, "HR 128, BP 122/76.").get("resting_heart_rate_high") is True


def test_tolerating_fluids_is_the_opposite_of_not_keeping_them_down(engine):
    assert read(engine, "Nausea but tolerating oral fluids.").get("vomiting_unable_to_keep_fluids") is not True
    assert read(engine, "I can't keep anything down, not even water.").get("vomiting_unable_to_keep_fluids") is True


def test_a_treatment_that_does_not_help_is_not_an_overdose(engine):
    assert "medicine_overdose_taken" not in read(engine, "Paracetamol doesn't help much.")
    assert read(engine, "I took 20 paracetamol tablets an hour ago.").get("medicine_overdose_taken") is True
    assert read(engine, "My blue inhaler isn't helping.").get("reliever_inhaler_not_helping") is True


def test_using_the_reliever_more_is_not_the_reliever_failing(engine):
    found = read(engine, "I'm using my blue inhaler a lot these days.")
    assert found.get("reliever_inhaler_used_more") is True
    assert "reliever_inhaler_not_helping" not in found


def test_a_finding_said_with_a_negation_is_present(engine):
    assert read(engine, "I have a fever and I haven't peed all day.").get("urine_output_low") is True
    assert read(engine, "I don't have a sore throat.").get("sore_throat") is False


def test_a_shared_word_alone_does_not_make_a_match(engine):
    # "black" in the colours of a mole is not black stools
    assert read(engine, "The mole has different shades of brown and black.").get("melaena") is not True
    assert read(engine, "My poo has been black and sticky like tar.").get("melaena") is True


def test_a_warning_sign_needs_a_close_match(engine):
    assert read(engine, "Now she's got a pinkish blotchy rash on her chest.").get("rash_non_blanching_legs_buttocks") is not True
    found = read(engine, "She has a rash that doesn't fade when I press a glass on it.")
    assert any(f.startswith("rash_non_blanching") and v for f, v in found.items())


def test_an_age_in_whole_years_gives_way_to_the_months_the_text_states(engine):
    text = "My 11 month old had a high temperature for 3 days but is feeding well."
    result = engine.consult(text, age=0, sex="f")
    assert result.age == pytest.approx(11 / 12, abs=0.01)
    assert "fever_under_3_months" not in {r.id for r in result.red_flags}
    baby = engine.consult("My 6 week old has a high temperature.", age=0, sex="f")
    assert any("3 months" in r.name for r in baby.red_flags)
