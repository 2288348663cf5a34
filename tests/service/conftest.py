"""Fixtures for the service tests: a real database (SQLite file; PostgreSQL too when
MEDASSIST_TEST_PG_URL is set, in a fresh schema dropped at the end), a diagnosis engine on the tiny
fixture knowledge base, a note pipeline without embeddings, and accounts made straight in the database.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from medassist.service.app import create_app
from medassist.service.resources import Resources
from medassist.service.settings import Settings
from tests.diagnosis.conftest import write_kb

PG_URL = os.environ.get("MEDASSIST_TEST_PG_URL")
TEST_KEY = "test-secret-key-for-the-service-tests-0123456789"
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@dataclass
class Database:
    backend: str
    url: str
    schema: str | None = None


@pytest.fixture(scope="session", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    from sqlalchemy import text

    from medassist.service.db import make_engine, migrate

    if request.param == "sqlite":
        db = Database("sqlite", f"sqlite:///{tmp_path_factory.mktemp('db') / 'service.db'}")
        engine = make_engine(db.url)
        migrate(engine)
        engine.dispose()
        yield db
        return
    assert PG_URL
    schema = f"medassist_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # a CI machine without the server: say so rather than fail every test
        admin.dispose()
        pytest.skip(f"PostgreSQL at MEDASSIST_TEST_PG_URL is not reachable ({type(exc).__name__})")
    engine = make_engine(PG_URL, schema)
    migrate(engine)
    engine.dispose()
    yield Database("postgresql", PG_URL, schema)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def small_engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from medassist.diagnosis.engine import DiagnosisEngine
    from medassist.diagnosis.intake import Intake, IntakeSettings
    from medassist.knowledge import KnowledgeBase

    kb = KnowledgeBase.load(write_kb(tmp_path_factory.mktemp("kb")))
    return DiagnosisEngine(kb, intake=Intake(kb, IntakeSettings(use_embeddings=False)))


@pytest.fixture(scope="session")
def nlp() -> Any:
    import medassist
    from medassist.pipeline import load_pipeline_config

    cfg = load_pipeline_config(None).model_dump()
    for comp in cfg["components"]:
        if comp["name"] == "normalize":
            comp["settings"]["embeddings"] = False
    return medassist.load(cfg)


@pytest.fixture(scope="session")
def resources(small_engine: Any, nlp: Any) -> Resources:
    return Resources(engine=small_engine, nlp=nlp)


def make_settings(database: Database, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        db_url=database.url, db_schema=database.schema, data_dir=data_dir, secret_key=TEST_KEY,
        argon2_time_cost=1, argon2_memory_kib=1024, warmup=False, migrate=False, create_db=True,
        rate_per_minute=100_000, rate_burst=10_000, login_per_minute=100_000, login_burst=10_000,
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return make_settings(database, tmp_path)


@pytest.fixture
def app(settings: Settings, resources: Resources) -> FastAPI:
    return create_app(settings, resources=resources)


@dataclass
class Account:
    id: int
    email: str
    password: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """A TestClient plus helpers to make accounts straight in the database."""

    def __init__(self, client: TestClient, app: FastAPI) -> None:
        self.client = client
        self.app = app
        self.ctx = app.state.context

    def account(self, role: str = "patient") -> Account:
        from medassist.service.db import User

        email = f"{role}-{uuid.uuid4().hex[:10]}@example.test"
        password = secrets.token_urlsafe(12)
        with self.ctx.sessions() as db:
            user = User(email=email, password_hash=self.ctx.passwords.hash(password), role=role, active=True,
                        token_version=0)
            db.add(user)
            db.commit()
            token, _ = self.ctx.tokens.issue(user.id, role, 0)
            return Account(user.id, email, password, role, token)

    def start(self, who: Account, text: str = "I have a sore throat and a high temperature", **kw: Any) -> dict[str, Any]:
        r = self.client.post("/v1/consultations", json={"text": text, **kw}, headers=who.headers)
        assert r.status_code == 201, r.text
        return r.json()

    def finished(self, who: Account, text: str = "I have a sore throat and a high temperature") -> dict[str, Any]:
        c = self.start(who, text)
        r = self.client.post(f"/v1/consultations/{c['id']}/finish", headers=who.headers)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def api(app: FastAPI) -> Iterator[Api]:
    with TestClient(app) as client:
        yield Api(client, app)
