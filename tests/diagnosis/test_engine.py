"""The diagnosis engine end to end on the fixture knowledge base: results, interview, bad input, CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from medassist.diagnosis.engine import Consultation, DiagnosisConfig, DiagnosisEngine, load_diagnosis_config
from medassist.diagnosis.intake import Intake, IntakeSettings
from medassist.errors import ConfigError, InputError


@pytest.fixture(scope="module")
def engine(fixture_kb):
    cfg = DiagnosisConfig(reasoner={"prior_weight": 0.5, "leak_factor": 0.4})
    return DiagnosisEngine(fixture_kb, cfg, intake=Intake(fixture_kb, IntakeSettings(use_embeddings=False)))


def test_result_has_every_documented_field(engine):
    r = engine.consult("I have a sore throat and a high temperature, no cough, for 2 days", age=25, sex="f").to_dict()
    for key in ("triage", "red_flags", "findings", "differential", "next_question", "not_covered_probability", "disclaimer"):
        assert key in r
    assert {"level", "label", "advice", "reasons"} <= set(r["triage"])
    top = r["differential"][0]
    assert {"condition", "name", "icd10", "probability", "evidence_for", "evidence_against"} <= set(top)
    assert top["condition"] == "strep_throat"
    assert abs(sum(d["probability"] for d in r["differential"]) + r["not_covered_probability"] - 1) < 0.02
    found = {f["id"]: f for f in r["findings"]}
    assert found["sore_throat"]["present"] and found["fever"]["present"] and found["cough"]["present"] is False
    span = found["cough"]["span"]
    text = "I have a sore throat and a high temperature, no cough, for 2 days"
    assert text[span["start"]:span["end"]] == span["text"] == "cough"
    assert r["duration"] == "days" and "not a doctor" in r["disclaimer"]


def test_red_flag_comes_first(engine):
    r = engine.consult("High temperature and a stiff neck since this morning", age=19, sex="m").to_dict()
    assert r["triage"]["level"] == "emergency_ambulance"
    assert r["red_flags"][0]["id"] == "meningism_fever"
    assert r["triage"]["advice"].startswith("A fever with a stiff neck")
    assert r["message"].startswith("Emergency warning signs")


@pytest.mark.parametrize("text", ["", "   ", "The weather in Lisbon was lovely and we ate grilled sardines by the river.",
                                  "Der Hund läuft schnell über die grüne Wiese und bellt laut."])
def test_no_symptoms_gives_a_clear_answer_not_a_differential(engine, text):
    r = engine.consult(text).to_dict()
    assert r["differential"] == [] and "could not find symptoms" in r["message"]
    assert r["triage"]["level"] is None


def test_non_english_is_flagged(engine):
    r = engine.consult("Ich habe seit drei Tagen starke Kopfschmerzen und Fieber und mir ist schlecht.").to_dict()
    assert any("English" in w for w in r["warnings"])


def test_too_long_and_bad_demographics_raise_actionable_errors(engine):
    with pytest.raises(InputError, match="E402"):
        engine.consult("cough " * 2000)
    with pytest.raises(InputError, match="E403"):
        engine.consult("cough", age=200)
    with pytest.raises(InputError, match="E404"):
        engine.consult("cough", sex="x")


def test_interview_answers_change_the_result_and_state_round_trips(engine):
    c = engine.start("sore throat", age=30, sex="f")
    r = engine.assess(c).to_dict()
    q = r["next_question"]
    assert q and q["finding"] in engine.kb.findings
    engine.answer(c, "fever", "yes")
    engine.answer(c, "runny_nose", "no")
    engine.answer(c, "cough", "dont_know")
    r2 = engine.assess(c).to_dict()
    assert r2["differential"][0]["condition"] == "strep_throat"
    assert "cough" not in {f["id"] for f in r2["findings"]}  # don't know is not evidence
    assert {a["answer"] for a in r2["answers"]} == {"yes", "no", "dont_know"}
    state = json.loads(json.dumps(c.to_state()))
    again = engine.assess(Consultation.from_state(state)).to_dict()
    assert again["differential"] == r2["differential"]
    with pytest.raises(InputError, match="E406"):
        engine.answer(c, "fever", "perhaps")
    with pytest.raises(InputError, match="E303"):
        engine.answer(c, "no_such_finding", "yes")


def test_identical_input_identical_output(engine):
    a = engine.consult("crushing chest pain and sweating", age=60, sex="m").to_dict()
    b = engine.consult("crushing chest pain and sweating", age=60, sex="m").to_dict()
    assert a == b


def test_shipped_config_loads_and_unknown_key_is_named(tmp_path):
    cfg = load_diagnosis_config()
    assert cfg.reasoner["prior_weight"] == 0.5 and cfg.top_n >= 3
    bad = tmp_path / "d.yaml"
    bad.write_text("reasoner:\n  evidence_wieght: 0.5\n")
    with pytest.raises(ConfigError) as exc:
        load_diagnosis_config(bad)
    assert "reasoner.evidence_wieght" in str(exc.value) and "evidence_weight" in str(exc.value)


# --------------------------------------------------------------------------- CLI

@pytest.fixture
def cli(engine, monkeypatch):
    from medassist.diagnosis import cli as dcli

    monkeypatch.setattr(dcli, "_engine", lambda no_embeddings: engine)
    from medassist.cli import app

    return app


def test_consult_json(cli):
    res = CliRunner().invoke(cli, ["consult", "sore throat and fever", "--age", "30", "--sex", "f", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["differential"] and out["triage"]["level"]


def test_consult_table_shows_triage_first_and_disclaimer(cli):
    res = CliRunner().invoke(cli, ["consult", "stiff neck and a high temperature"])
    assert res.exit_code == 0, res.output
    assert res.stdout.index("Triage") < res.stdout.index("What I understood")
    assert "not a doctor" in res.stdout


def test_consult_interactive(cli):
    res = CliRunner().invoke(cli, ["consult", "sore throat", "--interactive", "--json"], input="yes\nno\ndont_know\n" * 6)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{"):])
    assert out["answers"]


def test_consult_batch_keeps_going_after_a_bad_line(cli, tmp_path):
    batch = tmp_path / "b.jsonl"
    batch.write_text(json.dumps({"id": "a", "text": "sore throat", "age": 20, "sex": "f"}) + "\nnot json\n"
                     + json.dumps({"id": "c", "text": "cough", "age": 500}) + "\n" + json.dumps({"id": "d", "text": "runny nose"}) + "\n")
    res = CliRunner().invoke(cli, ["consult", "--batch", str(batch)])
    assert res.exit_code == 0
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert [r["id"] for r in rows] == ["a", "b.jsonl:2", "c", "d"]
    assert "error" in rows[1] and "E403" in rows[2]["error"] and rows[3]["differential"]


def test_consult_without_text_says_what_to_do(cli):
    res = CliRunner().invoke(cli, ["consult"])
    assert res.exit_code == 2 and "Describe the symptoms" in res.output


def test_palpitations_with_breathlessness_is_an_emergency_on_the_shipped_rules():
    """NHS: palpitations with breathlessness, chest tightness or faintness need urgent care (held-out test t004)."""
    from medassist.diagnosis.reasoner import Case, Observation, Reasoner
    from medassist.diagnosis.triage import triage as run_triage
    from medassist.knowledge import KnowledgeBase

    r = Reasoner(KnowledgeBase.load())
    case = Case(age=29, sex="female", duration="hours")
    for f in ("palpitations_fast", "breathlessness"):
        case.add(Observation(f, True))
    ex = r.expand(case)
    t, flags = run_triage(r, ex, r.posterior(ex, expanded=True))
    assert t.group == "emergency" and any(x.id == "palpitations_with_breathlessness_or_faintness" for x in flags)


# --------------------------------------------------------------------------- the safety invariant

def test_an_emergency_ends_the_interview_in_the_engine_itself(engine):
    """Every caller gets it (Python, CLI, HTTP, batch): emergency first, no next question, interview done."""
    c = engine.start("High temperature and a stiff neck since this morning", age=19, sex="m")
    a = engine.assess(c)
    assert a.emergency and a.triage.emergency and a.interview_done and a.next_question is None
    assert a.stop_reason.startswith("emergency") and a.message.startswith("Emergency")
    engine.answer(c, "headache", "no")  # answering more does not reopen it
    b = engine.assess(c)
    assert b.emergency and b.next_question is None


def test_a_non_emergency_keeps_asking(engine):
    a = engine.consult("sore throat", age=30, sex="f")
    assert not a.emergency and a.next_question is not None and not a.interview_done


def test_batch_and_json_say_the_emergency_too(cli, tmp_path):
    batch = tmp_path / "e.jsonl"
    batch.write_text(json.dumps({"id": "e", "text": "stiff neck and a high temperature", "age": 19}) + "\n")
    rows = [json.loads(x) for x in CliRunner().invoke(cli, ["consult", "--batch", str(batch)]).stdout.splitlines()]
    assert rows[0]["emergency"] and rows[0]["next_question"] is None and rows[0]["interview_done"]
    out = json.loads(CliRunner().invoke(cli, ["consult", "stiff neck and a high temperature", "--json"]).stdout)
    assert out["emergency"] and out["next_question"] is None
