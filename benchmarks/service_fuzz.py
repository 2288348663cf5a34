"""Fuzz the consultation service from its own OpenAPI schema with schemathesis, as every role, on SQLite
and on PostgreSQL.

    python benchmarks/service_fuzz.py                          # 4 roles x 2 backends, 40 s each
    python benchmarks/service_fuzz.py --seconds 20 --backend sqlite
    MEDASSIST_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python benchmarks/service_fuzz.py

For each backend a fresh database (a SQLite file under benchmarks/work/, or a fresh schema in the
PostgreSQL database, dropped at the end) gets one account per role and a few records to aim at; then
for each role (anonymous, patient, clinician, admin) every operation of ``/openapi.json`` is called with
schemathesis-generated requests (valid and invalid ones; path ids of real records mixed in) for a
bounded time, through the ASGI app in this process (the shipped engine with lexicon-only intake).
Every response is checked: no 5xx (``not_a_server_error``) and no schema violation
(``response_schema_conformance``, ``status_code_conformance``, ``content_type_conformance``,
``response_headers_conformance``).  Writes benchmarks/results/service_fuzz.json; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, write_result  # noqa: E402

WORK = ROOT / "benchmarks" / "work" / "service_fuzz"
ROLES = ("anonymous", "patient", "clinician", "admin")
KEY = "fuzz-only-secret-key-0123456789-abcdefghij"


def _database(backend: str, pg_url: str | None) -> tuple[str, str | None, Any]:
    from sqlalchemy import text

    from medassist.service.db import make_engine

    if backend == "sqlite":
        folder = WORK / "sqlite"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return f"sqlite:///{folder / 'fuzz.db'}", None, lambda: None
    assert pg_url, "set MEDASSIST_TEST_PG_URL for the PostgreSQL run"
    schema = f"medassist_fuzz_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return pg_url, schema, drop


def _seed(app: Any) -> dict[str, Any]:
    """One account per role (tokens) and records to aim at: consultations, a review, a note."""
    from fastapi.testclient import TestClient

    from medassist.service.db import User

    ctx = app.state.context
    tokens: dict[str, str] = {}
    ids: dict[str, list[str]] = {"consultation_id": [], "note_id": [], "user_id": []}
    with ctx.sessions() as db:
        for role in ROLES[1:]:
            user = User(email=f"{role}@fuzz.test", password_hash=ctx.passwords.hash("fuzz-password-0123"), role=role,
                        active=True, token_version=0)
            db.add(user)
            db.flush()
            # long-lived tokens: the fuzzed logout and password change bump the version; re-issued below
            tokens[role] = str(user.id)
            ids["user_id"].append(str(user.id))
        db.commit()
    client = TestClient(app)
    headers = {role: {"Authorization": f"Bearer {ctx.tokens.issue(int(uid), role, 0)[0]}"} for role, uid in tokens.items()}
    for text in ("I have a sore throat and a high temperature", "crushing chest pain spreading to my left arm"):
        c = client.post("/v1/consultations", json={"text": text, "age": 40, "sex": "f"}, headers=headers["patient"]).json()
        client.post(f"/v1/consultations/{c['id']}/finish", headers=headers["patient"])
        ids["consultation_id"].append(c["id"])
    client.post(f"/v1/reviews/{ids['consultation_id'][0]}", json={"decision": "approve"}, headers=headers["clinician"])
    n = client.post("/v1/notes", json={"text": "Pt denies chest pain. HTN on lisinopril 10 mg daily."},
                    headers=headers["clinician"]).json()
    ids["note_id"].append(n["id"])
    return {"user_ids": tokens, "ids": ids}


def _token(app: Any, role: str, user_id: str) -> dict[str, str]:
    """A fresh token for the account (the fuzzer may have signed it out or changed its password)."""
    from medassist.service.db import User

    ctx = app.state.context
    with ctx.sessions() as db:
        user = db.get(User, int(user_id))
        user.failed_logins, user.locked_until, user.active = 0, None, True
        user.role = role
        db.commit()
        version = user.token_version
    return {"Authorization": f"Bearer {ctx.tokens.issue(int(user_id), role, version)[0]}"}


def fuzz_role(app: Any, schema: Any, role: str, seed: dict[str, Any], seconds: float, max_examples: int) -> dict[str, Any]:
    import hypothesis
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis import strategies as st
    from schemathesis import checks as sc

    checks = [sc.not_a_server_error, sc.response_schema_conformance, sc.status_code_conformance,
              sc.content_type_conformance, sc.response_headers_conformance]
    counts: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    statuses: Counter[int] = Counter()
    end = time.monotonic() + seconds
    operations = [r.ok() for r in schema.get_all_operations()]
    budget = seconds / max(1, len(operations))
    real_ids = seed["ids"]

    def make(op: Any, op_end: float, headers: dict[str, str]) -> Any:
        @settings(max_examples=batch, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck), derandomize=False)
        @hypothesis.given(case=op.as_strategy(), pick=st.integers(0, 10), use_real=st.booleans())
        def run(case: Any, pick: int, use_real: bool) -> None:
            if time.monotonic() > op_end:
                return
            if use_real and case.path_parameters:  # aim at records that exist, not only random ids
                for name in case.path_parameters:
                    if real_ids.get(name):
                        case.path_parameters[name] = real_ids[name][pick % len(real_ids[name])]
            case.headers = {**(case.headers or {}), **headers}
            response = case.call()
            counts["requests"] += 1
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                counts["server_errors"] += 1
            try:
                case.validate_response(response, checks=checks)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and kept
                kind = "server_error" if response.status_code >= 500 else "schema_violation"
                counts[kind + "s_checked"] += 1
                if len(failures) < 30:
                    failures.append({"operation": f"{op.method.upper()} {op.path}", "status": response.status_code,
                                     "kind": kind, "failure": type(exc).__name__,
                                     "detail": str(exc).splitlines()[0][:300] if str(exc) else ""})

        return run

    batch = max(1, min(max_examples, 25))
    for op in operations:
        op_end = min(end, time.monotonic() + budget)
        while time.monotonic() < op_end:  # batches of examples until this operation's share of time is spent
            headers = _token(app, role, seed["user_ids"][role]) if role != "anonymous" else {}
            make(op, op_end, headers)()
    violations = counts["schema_violations_checked"]
    return {"requests": counts["requests"], "server_errors": counts["server_errors"], "schema_violations": violations,
            "operations": len(operations), "statuses": dict(sorted(statuses.items())), "failures": failures}


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    import schemathesis
    from fastapi.testclient import TestClient

    from medassist.service.app import create_app
    from medassist.service.resources import Resources
    from medassist.service.settings import Settings

    url, schema_name, drop = _database(backend, os.environ.get("MEDASSIST_TEST_PG_URL"))
    try:
        settings = Settings(db_url=url, db_schema=schema_name, data_dir=WORK / backend, secret_key=KEY, create_db=True,
                            argon2_time_cost=1, argon2_memory_kib=1024, warmup=False, rate_per_minute=10**7,
                            rate_burst=10**6, login_per_minute=10**7, login_burst=10**6, lockout_threshold=10**6,
                            request_timeout_s=30)
        resources = Resources.load(use_embeddings=False, warmup=False)
        app = create_app(settings, resources=resources)
        with TestClient(app):
            seed = _seed(app)
            schema = schemathesis.openapi.from_asgi("/openapi.json", app)
            out = {}
            for role in args.roles:
                t0 = time.perf_counter()
                out[role] = fuzz_role(app, schema, role, seed, args.seconds, args.max_examples)
                out[role]["seconds"] = round(time.perf_counter() - t0, 1)
                print(f"{backend:<10} {role:<10} {out[role]['requests']:>6} requests  "
                      f"{out[role]['server_errors']} 5xx  {out[role]['schema_violations']} schema violations", flush=True)
        app.state.context.db.dispose()
        return out
    finally:
        drop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=40.0, help="time budget per role and backend")
    ap.add_argument("--max-examples", type=int, default=400, help="hypothesis examples per operation at most")
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--roles", nargs="+", default=list(ROLES), choices=ROLES)
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not os.environ.get("MEDASSIST_TEST_PG_URL"):
        raise SystemExit("the PostgreSQL run needs MEDASSIST_TEST_PG_URL (or --backend sqlite)")
    results = {b: run_backend(b, args) for b in backends}
    totals = {k: sum(r[k] for per in results.values() for r in per.values())
              for k in ("requests", "server_errors", "schema_violations")}
    import schemathesis

    write_result("service_fuzz", {"totals": totals, "by_backend_and_role": results},
                 tool=f"schemathesis {schemathesis.__version__} (hypothesis), ASGI app in-process",
                 setup=f"{args.seconds:.0f} s per role and backend; roles {', '.join(args.roles)}; checks: "
                       "not_a_server_error, response_schema_conformance, status_code_conformance, "
                       "content_type_conformance, response_headers_conformance")
    print(f"| service_fuzz | {totals['requests']} requests | {totals['server_errors']} 5xx | "
          f"{totals['schema_violations']} schema violations |")
    if totals["server_errors"] or totals["schema_violations"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
