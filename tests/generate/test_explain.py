"""Plain-language explanations of a consultation result: built from the structured result, the safety text
copied verbatim and first; in an emergency no model is asked; a model's sentences that name a condition or
symptom not in the result, flip a symptom, name a medicine or speak about urgency are rejected."""

from __future__ import annotations

import pytest

from medassist.diagnosis.engine import DiagnosisEngine
from medassist.generate.explain import Explainer, plain_name, safety_text

from .test_summary import Scripted


@pytest.fixture(scope="module")
def engine():
    return DiagnosisEngine.load(neural=False, use_embeddings=False)


@pytest.fixture(scope="module")
def emergency(engine):
    result = engine.assess(engine.start("crushing chest pain going down my left arm", 61, "m"))
    assert result.emergency
    return result


@pytest.fixture(scope="module")
def sore_throat(engine):
    result = engine.assess(engine.start("I have had a sore throat and a fever for two days, no cough", 24, "f"))
    assert not result.emergency and result.differential.candidates
    return result


def test_the_emergency_text_is_verbatim_first_and_no_model_is_asked(nlp, emergency):
    backend = Scripted("This is not an emergency, you can rest at home.")
    exp = Explainer(nlp, backend)(emergency)
    assert backend.prompts == []  # the model never saw the result
    assert exp.emergency and exp.backend == "extractive" and "emergency" in exp.fallback
    flag = emergency.red_flags[0]
    assert exp.safety[0] == flag.message  # character for character
    assert emergency.triage.label in exp.safety and emergency.triage.advice in exp.safety
    assert emergency.message in exp.safety
    assert exp.text.startswith(flag.message)
    assert exp.disclaimer == emergency.disclaimer and exp.text.endswith(emergency.disclaimer)
    assert "not an emergency" not in exp.text
    assert exp.advice == []  # only the emergency advice matters now


def test_the_extractive_explanation_of_a_non_emergency(nlp, sore_throat):
    exp = Explainer(nlp)(sore_throat)
    assert exp.safety == [sore_throat.triage.label, sore_throat.triage.advice]
    assert "You told us about: sore throat, fever." in exp.body
    assert "You said you do not have: cough." in exp.body
    top = sore_throat.differential.candidates[0]
    assert any(plain_name(top.name) in s and "to discuss with a clinician" in s for s in exp.body)
    assert exp.advice == top.next_steps
    assert exp.text.index(sore_throat.triage.advice) < exp.text.index("You told us about")


def test_a_models_sentences_are_grounded_in_the_result_and_the_safety_text_is_untouched(nlp, sore_throat):
    top = plain_name(sore_throat.differential.candidates[0].name)
    text = (f"Your sore throat and fever may be caused by {top}. "  # grounded
            "It could also be asthma. "  # a condition not in the result
            "You have a cough. "  # said absent
            "Take amoxicillin. "  # a medicine
            "This is nothing serious, there is no need to see anyone.")  # urgency is the safety text's
    backend = Scripted(text)
    exp = Explainer(nlp, backend)(sore_throat)
    verdicts = {c.text: c for c in exp.checks}
    assert verdicts[f"Your sore throat and fever may be caused by {top}."].kept
    assert verdicts["It could also be asthma."].reasons == ["not in the result: asthma"]
    assert "absent in the result, stated as present: cough" in verdicts["You have a cough."].reasons
    assert verdicts["Take amoxicillin."].reasons == ["names a medicine: amoxicillin"]
    assert not verdicts["This is nothing serious, there is no need to see anyone."].kept
    assert exp.body[0] == f"Your sore throat and fever may be caused by {top}."
    assert exp.safety == safety_text(sore_throat) == [sore_throat.triage.label, sore_throat.triage.advice]
    prompt = backend.prompts[0][-1]["content"]
    assert sore_throat.triage.advice not in prompt and sore_throat.disclaimer not in prompt


def test_repeated_and_cut_off_model_sentences_are_dropped(nlp, sore_throat):
    text = "You told us you have a sore throat. You told us you have a sore throat. You have"
    exp = Explainer(nlp, Scripted(text))(sore_throat)
    assert [c.kept for c in exp.checks] == [True, False, False]
    assert exp.body[0] == "You told us you have a sore throat." and "You have" not in exp.body


def test_when_nothing_the_model_wrote_holds_the_extractive_body_stays(nlp, sore_throat):
    exp = Explainer(nlp, Scripted("You have asthma. Call an ambulance."))(sore_throat)
    assert exp.body == Explainer(nlp)(sore_throat).body and "grounding" in exp.fallback
