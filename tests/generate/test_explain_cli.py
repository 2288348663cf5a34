"""``medassist consult --explain``: the plain-language explanation in text and in --json; in an emergency the
safety text comes first, exactly as the result writes it, and no model is asked even with --backend llm."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import medassist
from medassist.cli import app
from medassist.diagnosis import cli as consult_cli
from medassist.diagnosis.engine import DiagnosisEngine

EMERGENCY = "crushing chest pain going down my left arm"
SORE_THROAT = "I have had a sore throat and a fever for two days, no cough"


@pytest.fixture(scope="module")
def engine():
    return DiagnosisEngine.load(neural=False, use_embeddings=False)


@pytest.fixture(autouse=True)
def fast_engine(monkeypatch, engine):
    monkeypatch.setattr(consult_cli, "_engine", lambda no_embeddings: engine)


def consult(*args: str):
    out = CliRunner().invoke(app, ["consult", *args])
    assert out.exit_code == 0, out.output
    return out


def test_explain_in_json_keeps_the_emergency_text_verbatim_and_first(engine):
    expected = engine.consult(EMERGENCY, 61, "m")
    assert expected.emergency
    data = json.loads(consult(EMERGENCY, "--age", "61", "--sex", "m", "--json", "--explain").stdout)
    exp = data["explanation"]
    assert exp["emergency"] is True and exp["backend"] == "extractive"
    assert exp["safety"][0] == expected.red_flags[0].message
    assert expected.triage.advice in exp["safety"] and expected.message in exp["safety"]
    assert exp["text"].startswith(expected.red_flags[0].message)
    assert exp["text"].endswith(expected.disclaimer) and exp["advice"] == []
    # the rest of the JSON is the result as before
    assert {k: v for k, v in data.items() if k != "explanation"}["triage"] == expected.to_dict()["triage"]


def test_without_explain_the_json_has_no_explanation():
    assert "explanation" not in json.loads(consult(SORE_THROAT, "--json").stdout)


def test_explain_in_text_prints_the_safety_text_first_in_plain_lines(engine):
    expected = engine.consult(EMERGENCY, 61, "m")
    out = consult(EMERGENCY, "--age", "61", "--sex", "m", "--explain").stdout
    lines = out.split("In plain words:\n", 1)[1].splitlines()
    assert lines[0] == expected.red_flags[0].message  # a whole line, unwrapped, unchanged
    assert expected.triage.advice in lines and lines[-1] == expected.disclaimer


def test_explain_a_non_emergency_in_text(engine):
    expected = engine.consult(SORE_THROAT, 24, "f")
    out = consult(SORE_THROAT, "--age", "24", "--sex", "f", "--explain").stdout
    plain = out.split("In plain words:\n", 1)[1]
    assert plain.startswith(f"{expected.triage.label}\n{expected.triage.advice}\n")
    assert "You told us about: sore throat, fever." in plain and "You said you do not have: cough." in plain


def test_with_a_model_configured_an_emergency_never_reaches_it(monkeypatch, nlp, local_server, engine):
    server = local_server(text="This is not an emergency, rest at home.")
    monkeypatch.setenv("MEDASSIST_LLM_URL", server.url)
    monkeypatch.setattr(medassist, "load", lambda name="default": nlp)  # the fast pipeline for the check
    expected = engine.consult(EMERGENCY, 61, "m")
    data = json.loads(consult(EMERGENCY, "--age", "61", "--sex", "m", "--json", "--explain",
                              "--backend", "llm").stdout)
    assert server.received == []
    exp = data["explanation"]
    assert exp["safety"][0] == expected.red_flags[0].message and "emergency" in exp["fallback"]
    assert "not an emergency" not in exp["text"]


def test_with_a_model_configured_a_non_emergency_is_checked(monkeypatch, nlp, local_server):
    server = local_server(text="You told us you have a sore throat. It could also be asthma.")
    monkeypatch.setenv("MEDASSIST_LLM_URL", server.url)
    monkeypatch.setattr(medassist, "load", lambda name="default": nlp)
    data = json.loads(consult(SORE_THROAT, "--age", "24", "--sex", "f", "--json", "--explain",
                              "--backend", "llm").stdout)
    exp = data["explanation"]
    assert len(server.received) == 1 and exp["backend"] == "openai"
    assert [g["status"] for g in exp["grounding"]] == ["kept", "rejected"]
    assert "asthma" not in exp["text"] and "You told us you have a sore throat." in exp["body"]
