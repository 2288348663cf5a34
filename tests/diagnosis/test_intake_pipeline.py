"""The intake as a pipeline variant: configs/pipeline-intake.yaml turns a patient's words into a Note with
the findings (present / absent), and the diagnosis engine reads patients' texts through it."""

from __future__ import annotations

import pytest

import medassist
from medassist.diagnosis.engine import DiagnosisEngine, load_diagnosis_config
from medassist.diagnosis.intake import (
    Intake,
    IntakeSettings,
    intake_pipeline,
    intake_result,
    make_intake_findings,
    make_intake_observations,
)
from medassist.doc import Note
from medassist.errors import ConfigError, ErrorCode, InputError
from medassist.knowledge import KnowledgeBase
from medassist.pipeline import Pipeline

TEXT = "I am a 34 year old woman. I have had a sore throat and a fever for 2 days, no cough. My dad had chest pain."


@pytest.fixture(scope="module")
def intake() -> Intake:
    return Intake(KnowledgeBase.load(), IntakeSettings(use_embeddings=False))


@pytest.fixture(scope="module")
def nlp(intake: Intake) -> Pipeline:
    return intake_pipeline(intake)


def test_the_shipped_variant_loads_by_name_with_its_components_in_order() -> None:
    nlp = medassist.load("intake")
    assert nlp.names == ["sentences", "intake_findings", "assertion", "intake_observations"]
    for name in ("intake_findings", "intake_observations"):
        comp = nlp.get(name)
        assert comp.reads and comp.writes  # type: ignore[attr-defined]
    # the shipped settings are the intake section of configs/diagnosis.yaml (one value for each)
    shared = nlp.get("intake_findings").intake  # type: ignore[attr-defined]
    assert shared is nlp.get("intake_observations").intake  # type: ignore[attr-defined]
    assert shared.settings == IntakeSettings(**load_diagnosis_config().intake)


def test_the_note_carries_present_and_absent_findings(nlp: Pipeline) -> None:
    note = nlp(TEXT)
    findings = {e.attributes["finding"]: e for e in note.entities if e.label == "finding"}
    assert not findings["sore_throat"].negated and not findings["fever"].negated
    assert findings["cough"].negated
    assert findings["chest_pain"].attributes["ignored"] == "about someone else"
    data = note.meta["intake"]
    present = {o["id"]: o["present"] for o in data["observations"]}
    assert present["sore_throat"] is True and present["cough"] is False and "chest_pain" not in present
    assert data["age"]["value"] == 34 and data["sex"]["value"] == "female"
    assert data["ignored"][0]["finding"] == "chest_pain"


def test_the_result_read_back_equals_what_intake_extract_returns(intake: Intake, nlp: Pipeline) -> None:
    for text in (TEXT, "burning when I pee, going every hour", "45M with CP and SOB, no fever", "xyzzy qwerty"):
        res = intake_result(nlp(text))
        direct = intake.extract(text)
        assert res.observations == direct.observations and res.ignored == direct.ignored
        assert (res.age, res.sex, res.duration, res.onset, res.warnings) == (
            direct.age, direct.sex, direct.duration, direct.onset, direct.warnings)


def test_the_engine_reads_the_text_through_the_intake_pipeline(intake: Intake) -> None:
    engine = DiagnosisEngine(intake.kb, intake=intake, neural=None)
    ran: list[str] = []
    for i, (name, comp) in enumerate(list(engine.intake_pipeline.components)):
        def spy(note: Note, _comp=comp, _name=name) -> Note:
            ran.append(_name)
            return _comp(note)

        spy.reads, spy.writes = comp.reads, comp.writes  # type: ignore[attr-defined]
        engine.intake_pipeline.components[i] = (name, spy)
    try:
        cons = engine.start(TEXT)
    finally:
        intake._pipeline = None  # the next test gets an unwrapped pipeline
    assert ran == ["sentences", "intake_findings", "assertion", "intake_observations"]
    assert cons.case.observations["cough"].present is False
    assert cons.case.age == 34 and cons.age_source == "text"


def test_the_order_check_rejects_observations_before_findings(intake: Intake) -> None:
    with pytest.raises(ConfigError) as err:
        Pipeline([("intake_observations", make_intake_observations(intake)),
                  ("intake_findings", make_intake_findings(intake))])
    assert err.value.code is ErrorCode.E203 and "entities" in str(err.value)
    with pytest.raises(ConfigError):
        Pipeline([("intake_findings", make_intake_findings(intake))])  # reads sentences: none written


def test_a_note_not_read_by_the_intake_is_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        intake_result(Note(text="sore throat"))
    assert err.value.code is ErrorCode.E203 and "intake_observations" in str(err.value)


def test_a_text_over_the_limit_is_refused(intake: Intake) -> None:
    small = Intake(intake.kb, IntakeSettings(use_embeddings=False, max_chars=20))
    with pytest.raises(InputError) as err:
        intake_pipeline(small)("a sore throat and a fever since Monday")
    assert err.value.code is ErrorCode.E402
    assert small.extract("a sore throat and a fever since Monday").observations  # extract reads the first 20


def test_settings_are_checked(intake: Intake) -> None:
    with pytest.raises(ConfigError) as err:
        make_intake_findings(intake, similarity=0.5)
    assert err.value.code is ErrorCode.E203
    with pytest.raises(ConfigError) as err:
        make_intake_findings(simillarity=0.5)
    assert err.value.code is ErrorCode.E202 and "similarity" in str(err.value)
