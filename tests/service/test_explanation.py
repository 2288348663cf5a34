"""The consultation responses carry the result in plain words (``explanation``): the safety text first and
exactly as the result writes it; a configured model is never asked in an emergency, and what it writes
otherwise is checked against the result."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medassist.service.app import create_app
from tests.generate.conftest import LocalServer, completion
from tests.service.conftest import Api, Database, make_settings

EMERGENCY = "I have a high temperature and a stiff neck"


def test_an_emergency_explanation_starts_with_the_safety_text_verbatim(api: Api) -> None:
    patient = api.account("patient")
    c = api.start(patient, EMERGENCY, age=20, sex="m")
    result, exp = c["result"], c["explanation"]
    assert result["emergency"] and result["red_flags"]
    assert exp["emergency"] is True and exp["backend"] == "extractive" and exp["fallback"] is None
    assert exp["safety"][0] == result["red_flags"][0]["message"]
    assert result["triage"]["advice"] in exp["safety"] and result["message"] in exp["safety"]
    assert exp["text"].startswith(result["red_flags"][0]["message"] + "\n")
    assert exp["text"].endswith(result["disclaimer"]) and exp["advice"] == []
    # reading it again gives the same explanation
    got = api.client.get(f"/v1/consultations/{c['id']}", headers=patient.headers).json()
    assert got["explanation"]["text"] == exp["text"]


def test_a_non_emergency_explanation_follows_the_interview(api: Api) -> None:
    patient = api.account("patient")
    c = api.start(patient, "I have a sore throat and a high temperature", age=30, sex="f")
    result, exp = c["result"], c["explanation"]
    assert not exp["emergency"]
    assert exp["safety"] == [result["triage"]["label"], result["triage"]["advice"]]
    assert exp["advice"] == result["differential"][0]["next_steps"]
    assert any(s.startswith("You told us about:") for s in exp["body"])
    question = result["next_question"]
    assert f"A question that would help: {question['question']}" in exp["body"]
    r = api.client.post(f"/v1/consultations/{c['id']}/answers", json={"finding": question["finding"],
                        "answer": "no"}, headers=patient.headers)
    assert r.status_code == 200, r.text
    assert "You said you do not have:" in r.json()["explanation"]["text"]


@pytest.fixture
def model_api(database: Database, tmp_path: Path, resources: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Api, LocalServer]]:
    """The service with the openai backend at a local server that answers one fixed text."""
    text = "You told us about a sore throat. It could also be asthma. This is not an emergency."
    server = LocalServer(lambda request: (200, json.dumps(completion(text)).encode(), 0.0)).start()
    monkeypatch.setenv("MEDASSIST_LLM_URL", server.url)
    app = create_app(make_settings(database, tmp_path, llm_backend="openai"), resources=resources)
    with TestClient(app) as client:
        yield Api(client, app), server
    server.stop()


def test_a_configured_model_is_never_asked_in_an_emergency(model_api: tuple[Api, LocalServer]) -> None:
    api, server = model_api
    c = api.start(api.account("patient"), EMERGENCY, age=20, sex="m")
    exp = c["explanation"]
    assert server.received == []
    assert exp["safety"][0] == c["result"]["red_flags"][0]["message"] and "emergency" in exp["fallback"]
    assert "not an emergency" not in exp["text"]


def test_a_configured_models_sentences_are_checked(model_api: tuple[Api, LocalServer]) -> None:
    api, server = model_api
    c = api.start(api.account("patient"), "I have a sore throat and a high temperature", age=30, sex="f")
    exp = c["explanation"]
    assert len(server.received) == 1 and exp["backend"] == "openai"
    verdicts = {g["text"]: g["status"] for g in exp["grounding"]}
    assert verdicts == {"You told us about a sore throat.": "kept", "It could also be asthma.": "rejected",
                        "This is not an emergency.": "rejected"}
    assert exp["body"][0] == "You told us about a sore throat."
    assert exp["safety"] == [c["result"]["triage"]["label"], c["result"]["triage"]["advice"]]
    prompt = json.loads(server.received[0]["body"])["messages"][-1]["content"]
    assert "I have a sore throat" not in prompt  # the patient's words never leave; the facts' names do
