"""The command line (users create, feedback export, serve --demo), demo seeding and the migrations."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from medassist.service.app import create_app
from medassist.service.resources import Resources
from tests.service.conftest import TEST_KEY, Api, Database, make_settings

runner = CliRunner()


@pytest.fixture(scope="module")
def real_resources(nlp: Any) -> Resources:
    """The shipped knowledge base and engine (lexicon-only intake, so no embedding model loads)."""
    from medassist.diagnosis.engine import DiagnosisEngine

    return Resources(engine=DiagnosisEngine.load(use_embeddings=False), nlp=nlp)


def _cli(*args: str, input: str | None = None) -> Any:  # noqa: A002
    from medassist.cli import app

    return runner.invoke(app, list(args), input=input)


def test_users_create_first_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDASSIST_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'data' / 'm.db'}"
    r = _cli("users", "create", "--role", "admin", "--email", "Root@Example.test", "--password-stdin", "--db", url,
             "--create-db", input="a-very-long-password\n")
    assert r.exit_code == 0, r.output
    assert "created admin account root@example.test" in r.output
    key = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = _cli("users", "create", "--role", "admin", "--email", "root@example.test", "--password-stdin", "--db", url,
                 input="a-very-long-password\n")
    assert again.exit_code == 1 and "already exists" in again.output
    short = _cli("users", "create", "--email", "x@example.test", "--password-stdin", "--db", url, input="short\n")
    assert short.exit_code == 2
    bad_role = _cli("users", "create", "--role", "root", "--email", "y@example.test", "--password-stdin", "--db", url,
                    input="a-very-long-password\n")
    assert bad_role.exit_code == 2
    # the admin can sign in to a server on that database
    db = Database("sqlite", url)
    app = create_app(make_settings(db, tmp_path / "data", secret_key=None, migrate=True), resources=_fake_resources())
    with TestClient(app) as client:
        r = client.post("/v1/auth/token", data={"username": "root@example.test", "password": "a-very-long-password"})
        assert r.status_code == 200 and r.json()["role"] == "admin"


def _fake_resources() -> Resources:
    return Resources(engine=None, loaded=True)  # type: ignore[arg-type]


def test_feedback_export_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resources: Resources) -> None:
    monkeypatch.setenv("MEDASSIST_SECRET_KEY", TEST_KEY)
    url = f"sqlite:///{tmp_path / 'fb.db'}"
    app = create_app(make_settings(Database("sqlite", url), tmp_path, migrate=True), resources=resources)
    with TestClient(app) as client:
        api = Api(client, app)
        patient, clinician = api.account("patient"), api.account("clinician")
        a = api.finished(patient, "Jane Roe here: I have a sore throat and a high temperature")
        b = api.finished(patient, "I have a runny nose and a cough")
        client.post(f"/v1/reviews/{a['id']}", json={"decision": "amend", "condition": "strep_throat"},
                    headers=clinician.headers)
        client.post(f"/v1/reviews/{b['id']}", json={"decision": "approve"}, headers=clinician.headers)
    out = tmp_path / "out" / "feedback.jsonl"
    r = _cli("feedback", "export", str(out), "--db", url)
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [{"text": rows[0]["text"], "label": "strep_throat"}]
    assert "Jane Roe" not in rows[0]["text"] and "sore throat" in rows[0]["text"]
    r = _cli("feedback", "export", str(tmp_path / "all.csv"), "--db", url, "--include-approved")
    assert r.exit_code == 0 and "2 labelled" in r.output
    lines = (tmp_path / "all.csv").read_text().splitlines()
    assert lines[0] == "text,label" and len(lines) == 3
    # both files are what `medassist train` reads for text_classification
    from medassist.training.corpus import read_classification

    assert [ex.labels for ex in read_classification(out)] == [["strep_throat"]]
    assert len(read_classification(tmp_path / "all.csv")) == 2


def test_demo_seed_is_idempotent(tmp_path: Path, real_resources: Resources) -> None:
    from medassist.service.app import build_context
    from medassist.service.db import ConsultationRecord, User, migrate
    from medassist.service.demo import seed

    settings = make_settings(Database("sqlite", f"sqlite:///{tmp_path / 'demo.db'}"), tmp_path)
    ctx = build_context(settings)
    migrate(ctx.db)
    first = seed(ctx, real_resources)
    second = seed(ctx, real_resources)
    assert first == second and set(first) == {"clinician", "patient"}
    creds_file = tmp_path / "demo-credentials.json"
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    with ctx.sessions() as db:
        assert db.query(User).count() == 2
        recs = db.query(ConsultationRecord).all()
    assert len(recs) == 3
    assert any(r.red_flag for r in recs)
    assert sum(r.status == "complete" for r in recs) == 2
    # a lost credentials file: new passwords, still the same accounts
    creds_file.unlink()
    third = seed(ctx, real_resources)
    assert third["patient"]["password"] != first["patient"]["password"]
    app = create_app(settings, resources=real_resources, context=ctx)
    with TestClient(app) as client:
        r = client.post("/v1/auth/token", data={"username": third["patient"]["email"],
                                                "password": third["patient"]["password"]})
        assert r.status_code == 200
        token = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert len(client.get("/v1/consultations", headers=token).json()) == 3


def test_real_engine_consultation(real_resources: Resources, database: Database, tmp_path: Path) -> None:
    app = create_app(make_settings(database, tmp_path), resources=real_resources)
    with TestClient(app) as client:
        api = Api(client, app)
        patient = api.account("patient")
        c = api.start(patient, "crushing chest pain and sweating, short of breath", age=58, sex="m")
        result = c["result"]
        assert result["triage"]["level"].startswith("emergency") and result["red_flags"]
        assert c["finished"] and result["next_question"] is None
        c = api.start(patient, "I've had a sore throat and a fever for two days", age=24, sex="f")
        assert c["result"]["next_question"] and c["result"]["differential"]
        assert all(0 <= d["probability"] <= 1 for d in c["result"]["differential"])


def test_migrations_match_the_models_and_downgrade(tmp_path: Path) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from medassist.service.db import MIGRATIONS, Base, make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    migrate(engine)  # idempotent
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


@pytest.mark.slow
def test_serve_demo_end_to_end(tmp_path: Path) -> None:
    """``medassist serve --demo`` as a user runs it: full models, printed credentials, a working sign-in."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("MEDASSIST_SECRET_KEY", "MEDASSIST_DB_URL")}
    proc = subprocess.Popen([sys.executable, "-m", "medassist.cli", "serve", "--demo", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("the demo server did not become ready in 120 s")
        creds = json.loads((tmp_path / "medassist-data" / "demo-credentials.json").read_text())
        r = httpx.post(f"http://127.0.0.1:{port}/v1/auth/token",
                       data={"username": creds["patient"]["email"], "password": creds["patient"]["password"]})
        assert r.status_code == 200
        token = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert len(httpx.get(f"http://127.0.0.1:{port}/v1/consultations", headers=token).json()) == 3
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert creds["patient"]["password"] not in out + err and f"http://127.0.0.1:{port}/" in out
    assert "demo-credentials.json" in out
    for line in err.splitlines():
        if line.startswith("{"):
            json.loads(line)  # every log line is JSON


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from medassist.service.settings import Settings

    monkeypatch.setenv("MEDASSIST_RATE_PER_MINUTE", "600")
    monkeypatch.setenv("MEDASSIST_RATE_BURST", "7")
    monkeypatch.setenv("MEDASSIST_WARMUP", "false")
    monkeypatch.setenv("MEDASSIST_DB_URL", "sqlite:///from-env.db")
    s = Settings.from_env()
    assert (s.rate_per_minute, s.rate_burst, s.warmup, s.db_url) == (600.0, 7, False, "sqlite:///from-env.db")
    assert Settings.from_env(db_url="sqlite:///cli.db", rate_burst=9).db_url == "sqlite:///cli.db"
    assert Settings.from_env(rate_burst=9).rate_burst == 9


def test_deidentify_without_a_pipeline_reuses_one_deidentifier() -> None:
    res = Resources(engine=None)  # type: ignore[arg-type]
    first = res.deidentify("Seen by Dr. Jane Roe on 03/04/2021.")
    assert "Jane Roe" not in (first.deid_text or "")
    kept = res._deid
    res.deidentify("Call 555-123-4567.")
    assert res._deid is kept
