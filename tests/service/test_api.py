"""The consultation API end to end against a real database (SQLite; PostgreSQL when configured)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medassist.doc import Note
from tests.service.conftest import Api, make_settings


def test_health_and_ready(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    r = api.client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "models": True, "database": True, "key": True}


def test_login_issues_a_token_that_works(api: Api) -> None:
    who = api.account("patient")
    r = api.client.post("/v1/auth/token", data={"username": who.email.upper(), "password": who.password})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["role"] == "patient" and body["expires_in"] > 0
    me = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == who.email


def test_wrong_password_is_refused(api: Api) -> None:
    who = api.account("patient")
    r = api.client.post("/v1/auth/token", data={"username": who.email, "password": "not-the-password"})
    assert r.status_code == 401
    r = api.client.post("/v1/auth/token", data={"username": "nobody@example.test", "password": "whatever-else"})
    assert r.status_code == 401


def test_consultation_interview_flow(api: Api) -> None:
    patient = api.account("patient")
    c = api.start(patient, "I have a sore throat and a high temperature", age=24, sex="f")
    assert c["status"] == "interview" and c["finished"] is False
    result = c["result"]
    assert result["triage"]["level"]
    assert result["differential"] and result["differential"][0]["evidence_for"]
    assert "not a diagnosis" in result["see_clinician"]
    assert result["disclaimer"]
    q = result["next_question"]
    assert q and q["finding"]
    # answer until the interview ends (or a few questions)
    for _ in range(15):
        r = api.client.post(f"/v1/consultations/{c['id']}/answers", json={"finding": q["finding"], "answer": "no"},
                            headers=patient.headers)
        assert r.status_code == 200, r.text
        c = r.json()
        q = c["result"]["next_question"]
        if c["finished"]:
            break
    else:
        r = api.client.post(f"/v1/consultations/{c['id']}/finish", headers=patient.headers)
        c = r.json()
    assert c["finished"] and c["status"] == "complete" and c["review_status"] == "pending"
    assert c["questions_answered"] >= 1
    # finished: no more answers
    r = api.client.post(f"/v1/consultations/{c['id']}/answers", json={"finding": "cough", "answer": "yes"},
                        headers=patient.headers)
    assert r.status_code == 409
    listing = api.client.get("/v1/consultations", headers=patient.headers).json()
    assert [x["id"] for x in listing] == [c["id"]]
    got = api.client.get(f"/v1/consultations/{c['id']}", headers=patient.headers).json()
    assert got["text"] == "I have a sore throat and a high temperature"
    assert got["result"]["differential"]


def test_red_flag_overrides_and_ends_the_interview(api: Api) -> None:
    patient = api.account("patient")
    c = api.start(patient, "I have a high temperature and a stiff neck", age=20, sex="m")
    result = c["result"]
    assert result["red_flags"], result
    assert result["triage"]["level"] == "emergency_ambulance"
    assert result["next_question"] is None
    assert c["finished"] and c["red_flag"]
    assert "follow the urgent advice" in result["message"].lower()


def test_input_errors_say_what_to_do(api: Api) -> None:
    patient = api.account("patient")
    r = api.client.post("/v1/consultations", json={"text": "sore throat", "age": 300}, headers=patient.headers)
    assert r.status_code == 422 and r.json()["code"] == "E403"
    r = api.client.post("/v1/consultations", json={"text": "sore throat", "sex": "x"}, headers=patient.headers)
    assert r.status_code == 422 and r.json()["code"] == "E404"
    c = api.start(patient)
    r = api.client.post(f"/v1/consultations/{c['id']}/answers", json={"finding": "no_such_finding", "answer": "yes"},
                        headers=patient.headers)
    assert r.status_code == 422 and r.json()["code"] == "E303"
    r = api.client.post(f"/v1/consultations/{c['id']}/answers", json={"finding": "cough", "answer": "maybe"},
                        headers=patient.headers)
    assert r.status_code == 422


def test_text_without_symptoms_asks_to_describe(api: Api) -> None:
    patient = api.account("patient")
    c = api.start(patient, "hello there")
    assert c["result"]["differential"] == [] and "describe" in c["result"]["message"].lower()
    assert c["finished"] is False


def test_review_queue_approve_and_amend(api: Api, tmp_path: Path) -> None:
    patient, clinician = api.account("patient"), api.account("clinician")
    a = api.finished(patient, "I have a sore throat and a high temperature. My name is Jane Roe, call 555-123-4567.")
    b = api.finished(patient, "I have a high temperature and a stiff neck")
    queue = api.client.get("/v1/reviews", headers=clinician.headers)
    assert queue.status_code == 200
    ids = [x["id"] for x in queue.json()]
    assert a["id"] in ids and b["id"] in ids
    assert ids.index(b["id"]) < ids.index(a["id"])  # red flag first
    conditions = api.client.get("/v1/knowledge/conditions", params={"q": "strep"}, headers=clinician.headers).json()
    assert [c["id"] for c in conditions] == ["strep_throat"]
    r = api.client.post(f"/v1/reviews/{b['id']}", json={"decision": "approve"}, headers=clinician.headers)
    assert r.status_code == 201 and r.json()["decision"] == "approve"
    r = api.client.post(f"/v1/reviews/{a['id']}", json={"decision": "amend", "condition": "no_such_condition"},
                        headers=clinician.headers)
    assert r.status_code == 422
    r = api.client.post(f"/v1/reviews/{a['id']}", json={"decision": "amend"}, headers=clinician.headers)
    assert r.status_code == 422
    r = api.client.post(f"/v1/reviews/{a['id']}",
                        json={"decision": "amend", "condition": "strep_throat", "comment": "exudate on exam"},
                        headers=clinician.headers)
    assert r.status_code == 201, r.text
    assert r.json()["condition_name"] == "Streptococcal pharyngitis"
    pending = [x["id"] for x in api.client.get("/v1/reviews", headers=clinician.headers).json()]
    assert a["id"] not in pending and b["id"] not in pending
    seen = api.client.get(f"/v1/consultations/{a['id']}", headers=patient.headers).json()
    assert seen["review_status"] == "amended" and seen["reviews"][0]["comment"] == "exudate on exam"
    # an unfinished consultation cannot be reviewed yet
    c = api.start(patient)
    if not c["finished"]:
        r = api.client.post(f"/v1/reviews/{c['id']}", json={"decision": "approve"}, headers=clinician.headers)
        assert r.status_code == 409
    # the amendment is exported de-identified, in the fine-tuning engine's format
    from medassist.service.feedback import export

    out = tmp_path / "feedback.jsonl"
    assert export(api.ctx, out) >= 1
    import json

    lines = [json.loads(x) for x in out.read_text().splitlines()]
    mine = [x for x in lines if "sore throat" in x["text"] and "stiff neck" not in x["text"]]
    assert any(x["label"] == "strep_throat" for x in mine)
    assert all(set(x) == {"text", "label"} for x in lines)
    assert not any("555-123-4567" in x["text"] or "Jane Roe" in x["text"] for x in lines)


def test_notes_analysis_fhir_and_deid(api: Api, nlp: Any) -> None:
    from medassist.nlp.output import deid_record, note_to_json

    clinician = api.account("clinician")
    text = "John Smith, MRN 1234567. Pt denies chest pain. HTN on lisinopril 10 mg daily."
    r = api.client.post("/v1/notes", json={"text": text}, headers=clinician.headers)
    assert r.status_code == 201, r.text
    note = r.json()
    ents = {e["text"].lower(): e for e in note["analysis"]["entities"]}
    assert ents["chest pain"]["assertion"] == "negated"
    assert any(c["system"] for c in ents["chest pain"]["concepts"])
    assert ents["lisinopril"]["attributes"]["dose"] == "10"
    assert note["fhir"]["resourceType"] == "Bundle"
    assert "John Smith" not in note["analysis"]["deid_text"]
    # one road: the API's analysis is the CLI's JSON of the same note, without the text (and its id and meta)
    cli = note_to_json(nlp(text), include_text=False)
    assert note["analysis"] == {k: cli[k] for k in ("entities", "sections", "phi", "deid_text")}
    assert {p["type"] for p in note["analysis"]["phi"]} >= {"NAME", "MRN"}
    again = api.client.get(f"/v1/notes/{note['id']}", headers=clinician.headers).json()
    assert again["analysis"] == note["analysis"]
    fhir = api.client.get(f"/v1/notes/{note['id']}/fhir", headers=clinician.headers).json()
    assert fhir["resourceType"] == "Bundle"
    r = api.client.post("/v1/notes/deid", json={"text": text}, headers=clinician.headers)
    assert r.status_code == 200
    body = r.json()
    assert "[NAME]" in body["text"] and "1234567" not in body["text"]
    assert {i["type"] for i in body["phi"]} >= {"NAME", "MRN"}
    # the same spans, with the same field names, as `medassist deid --format json`
    record = deid_record(nlp.get("deid")(Note(text=text)))
    assert body == {"text": record["text"], "phi": record["phi"]}
    assert set(body["phi"][0]) == {"start", "end", "type", "text", "confidence", "found_by"}
    masked = api.client.post("/v1/notes/deid", json={"text": text, "replace": "mask"}, headers=clinician.headers).json()
    assert len(masked["text"]) == len(text) and "Smith" not in masked["text"]
    assert masked["phi"] == body["phi"]
    old = api.client.post("/v1/notes/deid", json={"text": text, "mode": "mask"}, headers=clinician.headers)
    assert old.status_code == 422 and "replace" in str(old.json()["detail"])
    other = api.account("clinician")
    assert api.client.get(f"/v1/notes/{note['id']}", headers=other.headers).status_code == 404


def test_medication_check(api: Api) -> None:
    patient = api.account("patient")
    r = api.client.post("/v1/medications/check", json={"drugs": ["warfarin", "ibuprofen"], "conditions": ["CKD"],
                                                       "allergies": ["penicillin"]}, headers=patient.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["alerts"] and body["disclaimer"]
    assert api.client.post("/v1/medications/check", json={"drugs": []}, headers=patient.headers).status_code == 422


def test_admin_manages_users(api: Api) -> None:
    admin = api.account("admin")
    r = api.client.post("/v1/users", json={"email": "New.Clinician@Example.test", "password": "a-long-password-1",
                                          "role": "clinician"}, headers=admin.headers)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["email"] == "new.clinician@example.test" and new["role"] == "clinician"
    dup = api.client.post("/v1/users", json={"email": "new.clinician@example.test", "password": "a-long-password-1"},
                          headers=admin.headers)
    assert dup.status_code == 409
    short = api.client.post("/v1/users", json={"email": "x@example.test", "password": "short"}, headers=admin.headers)
    assert short.status_code == 422
    login = api.client.post("/v1/auth/token", data={"username": new["email"], "password": "a-long-password-1"})
    token = login.json()["access_token"]
    assert api.client.get("/v1/reviews", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    r = api.client.patch(f"/v1/users/{new['id']}", json={"active": False}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["active"] is False
    # the old token stops working, and so does the password
    assert api.client.get("/v1/reviews", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert api.client.post("/v1/auth/token", data={"username": new["email"],
                                                   "password": "a-long-password-1"}).status_code == 401
    assert any(u["id"] == new["id"] for u in api.client.get("/v1/users", headers=admin.headers).json())
    assert api.client.patch(f"/v1/users/{admin.id}", json={"role": "patient"}, headers=admin.headers).status_code == 409


def test_audit_log_records_reads_without_text(api: Api) -> None:
    patient, admin = api.account("patient"), api.account("admin")
    c = api.start(patient, "I have a sore throat and a high temperature")
    api.client.get(f"/v1/consultations/{c['id']}", headers=patient.headers)
    events = api.client.get("/v1/audit", params={"resource_id": c["id"]}, headers=admin.headers).json()
    actions = {(e["action"], e["actor_id"]) for e in events}
    assert ("create", patient.id) in actions and ("read", patient.id) in actions
    assert "sore throat" not in str(events)


def test_audit_log_is_append_only(api: Api) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    api.account("patient")
    with api.ctx.db.connect() as conn:
        conn.execute(text("INSERT INTO audit_log (at, action, resource_type, outcome) "
                          "VALUES (CURRENT_TIMESTAMP, 'test', 'test', 'ok')"))
        conn.commit()
    for stmt in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with api.ctx.db.connect() as conn, pytest.raises(DBAPIError):
            conn.execute(text(stmt))


def test_free_text_is_encrypted_at_rest(api: Api) -> None:
    from sqlalchemy import text

    patient = api.account("patient")
    marker = "sore throat and a high temperature since Tuesday zebra"
    c = api.start(patient, marker)
    with api.ctx.db.connect() as conn:
        row = conn.execute(text("SELECT * FROM consultations WHERE id = :id"), {"id": c["id"]}).mappings().one()
    assert "zebra" not in str(dict(row))
    assert "sore throat" not in str(dict(row))


def test_openapi_and_docs_are_served(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    assert "/v1/consultations" in spec["paths"]
    docs = api.client.get("/docs")
    assert docs.status_code == 200 and "/swagger/swagger-ui-bundle.js" in docs.text
    assert api.client.get("/swagger/swagger-ui-bundle.js").status_code == 200


def test_metrics(database: Any, resources: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from medassist.service.app import create_app
    from tests.service.conftest import make_settings

    app = create_app(make_settings(database, tmp_path, metrics_token="k" * 40), resources=resources)
    with TestClient(app) as client:
        api = Api(client, app)
        api.client.get("/healthz")
        patient = api.account("patient")
        api.start(patient)
        body = api.client.get("/metrics", headers={"Authorization": "Bearer " + "k" * 40}).text
    assert "medassist_http_requests_total" in body
    assert 'route="/v1/consultations"' in body
    assert "medassist_consultations_started_total 1.0" in body


def test_health_plan(api: Api) -> None:
    import json
    from pathlib import Path

    patient = api.account("patient")
    record = json.loads((Path(__file__).resolve().parents[2] / "examples" / "health" / "patient.json").read_text())
    r = api.client.post("/v1/health/plan", json={"record": record}, headers=patient.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["goals"] and body["medication_review"]["alerts"] and body["disclaimer"]
    fhir = api.client.post("/v1/health/plan", json={"record": record, "format": "fhir"}, headers=patient.headers)
    assert fhir.status_code == 200 and fhir.json()["entry"][0]["resource"]["resourceType"] == "CarePlan"
    bad = api.client.post("/v1/health/plan", json={"record": {**record, "sex": "x"}}, headers=patient.headers)
    assert bad.status_code == 422 and "E816" in bad.text
    weird = api.client.post("/v1/health/plan", json={"record": {"vitals": [1, 2]}}, headers=patient.headers)
    assert weird.status_code == 422
    assert api.client.post("/v1/health/plan", json={"record": record}).status_code == 401


def test_note_summary_is_extractive_unless_a_backend_is_configured(api: Api, nlp: Any) -> None:
    from medassist.generate.summary import Summarizer

    clinician = api.account("clinician")
    text = ("ALLERGIES: penicillin.\nMEDICATIONS: lisinopril 10 mg daily.\nASSESSMENT AND PLAN: Hypertension. "
            "Pt denies chest pain. Stop lisinopril, start amlodipine 5 mg daily. Call John Smith at 555-123-4567.")
    r = api.client.post("/v1/notes/summary", json={"text": text}, headers=clinician.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["backend"] == "extractive" and body["fallback"] is None and body["grounding"] == []
    assert body["sentences"] == Summarizer(nlp)(text).sentences  # the CLI's summary of the same note
    meds = {f["name"]: f["status"] for f in body["facts"] if f["kind"] == "medication"}
    assert meds == {"lisinopril": "stopped", "amlodipine": "started"}
    assert body["sections"]["negative"] == ["No chest pain."]
    assert api.client.post("/v1/notes/summary", json={"text": ""}, headers=clinician.headers).status_code == 422


def test_note_summary_with_a_remote_backend_sends_no_identifier(database: Any, tmp_path: Any, resources: Any,
                                                                monkeypatch: Any) -> None:
    from medassist.service.app import create_app
    from tests.generate.conftest import LocalServer, completion

    server = LocalServer(lambda request: (200, json.dumps(completion(
        "The patient has hypertension. He takes warfarin.")).encode(), 0.0)).start()
    try:
        monkeypatch.setenv("MEDASSIST_LLM_URL", server.url)
        app = create_app(make_settings(database, tmp_path, llm_backend="openai"), resources=resources)
        with TestClient(app) as client:
            clinician = Api(client, app).account("clinician")
            text = "PLAN: Hypertension. Call John Smith at 555-123-4567 about lisinopril 10 mg daily."
            body = client.post("/v1/notes/summary", json={"text": text}, headers=clinician.headers).json()
    finally:
        server.stop()
    assert body["backend"] == "openai" and body["deidentified_prompt"] is True
    assert [(c["text"], c["status"]) for c in body["grounding"]] == [
        ("The patient has hypertension.", "kept"), ("He takes warfarin.", "rejected")]
    sent = server.received[0]["body"]
    assert "lisinopril" in sent and "Smith" not in sent and "555-123-4567" not in sent
