"""Security: ownership, tokens, a role check on every route, payload limits, rate limits, timeouts, logs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from medassist.service.app import create_app
from medassist.service.deps import get_resources
from medassist.service.observability import JsonFormatter
from medassist.service.resources import Resources
from tests.service.conftest import Api, Database, make_settings

ANON, PATIENT, CLINICIAN, ADMIN = "anonymous", "patient", "clinician", "admin"
EVERYONE = {ANON, PATIENT, CLINICIAN, ADMIN}
SIGNED_IN = {PATIENT, CLINICIAN, ADMIN}
STAFF = {CLINICIAN, ADMIN}

# Every route of the app and who may call it.  A new route must be added here (the test fails otherwise).
ROUTE_ROLES: dict[tuple[str, str], set[str]] = {
    ("POST", "/v1/auth/token"): EVERYONE,
    ("GET", "/v1/auth/me"): SIGNED_IN,
    ("POST", "/v1/auth/logout"): SIGNED_IN,
    ("POST", "/v1/auth/password"): SIGNED_IN,
    ("GET", "/v1/users"): {ADMIN},
    ("POST", "/v1/users"): {ADMIN},
    ("PATCH", "/v1/users/{user_id}"): {ADMIN},
    ("POST", "/v1/consultations"): SIGNED_IN,
    ("GET", "/v1/consultations"): SIGNED_IN,
    ("GET", "/v1/consultations/{consultation_id}"): SIGNED_IN,
    ("POST", "/v1/consultations/{consultation_id}/answers"): SIGNED_IN,
    ("POST", "/v1/consultations/{consultation_id}/finish"): SIGNED_IN,
    ("GET", "/v1/reviews"): STAFF,
    ("POST", "/v1/reviews/{consultation_id}"): STAFF,
    ("GET", "/v1/reviews/{consultation_id}"): STAFF,
    ("GET", "/v1/knowledge/conditions"): STAFF,
    ("POST", "/v1/notes"): STAFF,
    ("POST", "/v1/notes/deid"): STAFF,
    ("POST", "/v1/notes/summary"): STAFF,
    ("GET", "/v1/notes/{note_id}"): STAFF,
    ("GET", "/v1/notes/{note_id}/fhir"): STAFF,
    ("POST", "/v1/medications/check"): SIGNED_IN,
    ("POST", "/v1/health/plan"): SIGNED_IN,
    ("GET", "/v1/audit"): {ADMIN},
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/readyz"): EVERYONE,
    ("GET", "/metrics"): EVERYONE,  # off (404) without a metrics token; with one, see test_owasp API5
    ("GET", "/docs"): EVERYONE,
    ("GET", "/openapi.json"): EVERYONE,
    ("GET", "/"): EVERYONE,
    ("GET", "/patient"): EVERYONE,
    ("GET", "/result"): EVERYONE,
    ("GET", "/review"): EVERYONE,
    ("GET", "/health"): EVERYONE,
}
PATH_VALUES = {"user_id": "999999", "consultation_id": "0" * 32, "note_id": "0" * 32}


def _app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route, including those of included routers (kept nested by newer FastAPI)."""
    out: set[tuple[str, str]] = set()

    def walk(routes: list[Any]) -> None:
        for route in routes:
            nested = getattr(route, "original_router", None)
            if nested is not None:
                walk(nested.routes)
            elif isinstance(route, APIRoute) or getattr(route, "methods", None):
                out.update((m, route.path) for m in route.methods - {"HEAD", "OPTIONS"})

    walk(app.routes)
    return out


def test_every_route_is_in_the_role_table(api: Api) -> None:
    routes = _app_routes(api.app)
    assert routes == set(ROUTE_ROLES), (
        f"routes without a role rule: {sorted(routes - set(ROUTE_ROLES))}; stale rules: {sorted(set(ROUTE_ROLES) - routes)}")


@pytest.mark.parametrize(("method", "path"), sorted(ROUTE_ROLES))
def test_role_checks_on_every_route(api: Api, method: str, path: str) -> None:
    allowed = ROUTE_ROLES[(method, path)]
    accounts = {role: api.account(role) for role in (PATIENT, CLINICIAN, ADMIN)}
    url = path.format(**PATH_VALUES)
    for role in (ANON, PATIENT, CLINICIAN, ADMIN):
        headers = accounts[role].headers if role in accounts else {}
        r = api.client.request(method, url, headers=headers, json={} if method in ("POST", "PATCH") else None)
        if role in allowed:
            assert r.status_code not in (401, 403), (role, method, path, r.status_code, r.text)
        elif role == ANON:
            assert r.status_code == 401, (role, method, path, r.status_code)
            assert r.headers.get("www-authenticate") == "Bearer"
        else:
            assert r.status_code == 403, (role, method, path, r.status_code)


def test_patient_cannot_reach_another_patients_consultation(api: Api) -> None:
    alice, bob, admin = api.account("patient"), api.account("patient"), api.account("admin")
    c = api.start(alice, "I have a sore throat and a high temperature")
    q = c["result"]["next_question"]
    assert api.client.get(f"/v1/consultations/{c['id']}", headers=bob.headers).status_code == 404
    r = api.client.post(f"/v1/consultations/{c['id']}/answers", json={"finding": q["finding"], "answer": "yes"},
                        headers=bob.headers)
    assert r.status_code == 404
    assert api.client.post(f"/v1/consultations/{c['id']}/finish", headers=bob.headers).status_code == 404
    assert c["id"] not in [x["id"] for x in api.client.get("/v1/consultations", headers=bob.headers).json()]
    # a clinician may read it but not answer in the patient's place
    clinician = api.account("clinician")
    assert api.client.get(f"/v1/consultations/{c['id']}", headers=clinician.headers).status_code == 200
    r = api.client.post(f"/v1/consultations/{c['id']}/answers", json={"finding": q["finding"], "answer": "yes"},
                        headers=clinician.headers)
    assert r.status_code == 404
    # unchanged for its owner; the attempts are in the audit log
    mine = api.client.get(f"/v1/consultations/{c['id']}", headers=alice.headers).json()
    assert mine["questions_answered"] == 0
    events = api.client.get("/v1/audit", params={"actor_id": bob.id}, headers=admin.headers).json()
    assert {e["outcome"] for e in events if e["resource_id"] == c["id"]} == {"denied"}


def test_missing_forged_and_expired_tokens(api: Api) -> None:
    who = api.account("patient")
    url = "/v1/consultations"
    assert api.client.get(url).status_code == 401
    assert api.client.get(url, headers={"Authorization": "Bearer"}).status_code == 401
    assert api.client.get(url, headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401
    assert api.client.get(url, headers={"Authorization": "Bearer not.a.token"}).status_code == 401
    now = dt.datetime.now(dt.UTC)
    claims = {"sub": str(who.id), "role": "admin", "ver": 0, "iat": now, "exp": now + dt.timedelta(minutes=5),
              "iss": "medassist"}
    forged = jwt.encode(claims, "some-other-key-of-32-bytes-or-more!!", algorithm="HS256")
    assert api.client.get(url, headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert api.client.get(url, headers={"Authorization": f"Bearer {unsigned}"}).status_code == 401
    # a valid token with its payload edited (role: patient -> admin) fails the signature
    head, _payload, sig = who.token.split(".")
    import base64

    body = json.loads(base64.urlsafe_b64decode(_payload + "=" * (-len(_payload) % 4)))
    body["role"] = "admin"
    edited = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    assert api.client.get("/v1/users", headers={"Authorization": f"Bearer {head}.{edited}.{sig}"}).status_code == 401
    expired, _ = api.ctx.tokens.issue(who.id, "patient", 0, now=now - dt.timedelta(hours=2))
    r = api.client.get(url, headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    stale_version, _ = api.ctx.tokens.issue(who.id, "patient", 7)
    assert api.client.get(url, headers={"Authorization": f"Bearer {stale_version}"}).status_code == 401
    ghost, _ = api.ctx.tokens.issue(987654, "admin", 0)
    assert api.client.get(url, headers={"Authorization": f"Bearer {ghost}"}).status_code == 401
    assert api.client.get(url, headers=who.headers).status_code == 200


def test_oversized_and_malformed_payloads(database: Database, resources: Resources, tmp_path: Path) -> None:
    app = create_app(make_settings(database, tmp_path, max_body_bytes=2048), resources=resources)
    with TestClient(app) as client:
        who = Api(client, app).account("patient")
        h = who.headers
        big = {"text": "sore throat " * 400}
        r = client.post("/v1/consultations", json=big, headers=h)
        assert r.status_code == 413 and r.json()["code"] == "body_too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while the body streams in
            for _ in range(10):
                yield b"x" * 1024

        r = client.post("/v1/consultations", content=chunks(), headers={**h, "Content-Type": "application/json"})
        assert r.status_code == 413
        r = client.post("/v1/consultations", content=b'{"text": "sore thr', headers={**h, "Content-Type": "application/json"})
        assert r.status_code == 422
        r = client.post("/v1/consultations", content=b"\xff\xfe\x00garbage", headers={**h, "Content-Type": "application/json"})
        assert r.status_code in (400, 422)
        r = client.post("/v1/consultations", json={"text": "sore throat", "admin": True}, headers=h)
        assert r.status_code == 422  # unknown fields are refused
        r = client.post("/v1/consultations", json=["not", "an", "object"], headers=h)
        assert r.status_code == 422
        r = client.post("/v1/consultations", json={"text": 42}, headers=h)
        assert r.status_code == 422
        r = client.post("/v1/consultations", content=b"text=sore", headers={**h, "Content-Type": "text/plain"})
        assert r.status_code == 422
        # validation errors never echo what was sent
        secret = "my name is Zebediah Quux"
        r = client.post("/v1/consultations", json={"text": secret, "age": "old"}, headers=h)
        assert r.status_code == 422 and "Zebediah" not in r.text and "old" not in r.text


def test_text_longer_than_the_engine_accepts(api: Api) -> None:
    who = api.account("patient")
    r = api.client.post("/v1/consultations", json={"text": "sore throat. " * 500}, headers=who.headers)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    assert r.json()["detail"][0]["loc"] == ["body", "text"]


def test_rate_limits_per_account_and_for_sign_in(database: Database, resources: Resources, tmp_path: Path) -> None:
    settings = make_settings(database, tmp_path, rate_per_minute=60, rate_burst=5, login_per_minute=6, login_burst=3,
                             metrics_token="m" * 40)
    app = create_app(settings, resources=resources)
    with TestClient(app) as client:
        helper = Api(client, app)
        a, b = helper.account("patient"), helper.account("patient")
        codes = [client.get("/v1/consultations", headers=a.headers).status_code for _ in range(6)]
        assert codes[:5] == [200] * 5 and codes[5] == 429
        r = client.get("/v1/consultations", headers=a.headers)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert client.get("/v1/consultations", headers=b.headers).status_code == 200  # another account is not affected
        assert client.get("/healthz").status_code == 200  # probes are never limited
        logins = [client.post("/v1/auth/token", data={"username": a.email, "password": "wrong-password"}).status_code
                  for _ in range(4)]
        assert logins[:3] == [401] * 3 and logins[3] == 429
        metrics = client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 40}).text
        assert "medassist_rate_limited_total" in metrics


def test_token_bucket_refills() -> None:
    from medassist.service.ratelimit import RateLimiter

    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.allow("k")[0] for _ in range(3)] == [True, True, False]
    now[0] += 1.0
    assert limiter.allow("k")[0] is True
    assert limiter.allow("k") == (False, pytest.approx(1.0))


def test_slow_requests_time_out(database: Database, resources: Resources, tmp_path: Path) -> None:
    app = create_app(make_settings(database, tmp_path, request_timeout_s=0.3), resources=resources)

    def slow() -> Any:
        time.sleep(1.0)
        return resources

    app.dependency_overrides[get_resources] = slow
    with TestClient(app) as client:
        who = Api(client, app).account("patient")
        r = client.post("/v1/consultations", json={"text": "sore throat"}, headers=who.headers)
        assert r.status_code == 504 and r.json()["code"] == "timeout"


def test_unexpected_errors_say_nothing_about_the_input(database: Database, resources: Resources, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(make_settings(database, tmp_path), resources=resources)

    def broken() -> Any:
        raise RuntimeError("Zebediah Quux MRN 7654321")

    app.dependency_overrides[get_resources] = broken
    caplog.set_level(logging.DEBUG)
    with TestClient(app) as client:
        who = Api(client, app).account("patient")
        r = client.post("/v1/consultations", json={"text": "sore throat"}, headers=who.headers)
        assert r.status_code == 500 and "Zebediah" not in r.text and r.json()["request_id"]
    formatted = "\n".join(JsonFormatter().format(rec) for rec in caplog.records)
    assert "RuntimeError" in formatted and "Zebediah" not in formatted and "7654321" not in formatted


def test_security_headers(api: Api) -> None:
    for path in ("/", "/healthz", "/v1/auth/me"):
        r = api.client.get(path)
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-request-id"]


IDENTIFIERS = ["Zebediah", "Quuxworth", "7654321", "555-867-5309", "zeb.quux@example.org", "42 Wallaby Way",
               "1961-03-04"]
NOTE = ("Patient Zebediah Quuxworth, MRN 7654321, DOB 1961-03-04, phone 555-867-5309, email zeb.quux@example.org, "
        "lives at 42 Wallaby Way. Pt denies chest pain. HTN on lisinopril 10 mg daily.")


def test_no_identifier_from_a_note_reaches_the_logs(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clinician, patient = api.account("clinician"), api.account("patient")
    api.client.post("/v1/auth/token", data={"username": clinician.email, "password": clinician.password})
    api.client.post("/v1/auth/token", data={"username": clinician.email, "password": "Zebediah-wrong"})
    r = api.client.post("/v1/notes", json={"text": NOTE}, headers=clinician.headers)
    assert r.status_code == 201
    api.client.get(f"/v1/notes/{r.json()['id']}", headers=clinician.headers)
    api.client.post("/v1/notes/deid", json={"text": NOTE}, headers=clinician.headers)
    api.client.post("/v1/notes", json={"text": NOTE, "extra": 1}, headers=clinician.headers)  # 422
    c = api.start(patient, "I have a sore throat and a high temperature. " + NOTE[:120])
    q = c["result"]["next_question"]
    if q:
        api.client.post(f"/v1/consultations/{c['id']}/answers", json={"finding": q["finding"], "answer": "yes"},
                        headers=patient.headers)
    api.client.post(f"/v1/consultations/{c['id']}/finish", headers=patient.headers)
    api.client.post(f"/v1/reviews/{c['id']}", json={"decision": "amend", "condition": "strep_throat",
                                                    "comment": "Zebediah seen in clinic"}, headers=clinician.headers)
    assert any(rec.name == "medassist.service.access" for rec in caplog.records)
    formatter = JsonFormatter()
    for rec in caplog.records:
        line = formatter.format(rec)
        raw = f"{rec.msg} {rec.args}"
        for ident in IDENTIFIERS:
            assert ident not in line, (ident, rec.name)
            if rec.name.startswith("medassist.service"):
                assert ident not in raw, (ident, rec.name)
    # nor the email address of the account
    assert all(clinician.email not in formatter.format(rec) for rec in caplog.records)
