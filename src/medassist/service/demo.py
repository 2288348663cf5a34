"""``medassist serve --demo``: a demo clinician, a demo patient and a few sample consultations (idempotent).

Passwords are random, generated on the first run and kept in ``demo-credentials.json`` (mode 0600) in
the data folder, so every later run prints the same ones.  Sample consultations are added only when
the demo patient has none.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from medassist.service import consult
from medassist.service.db import ConsultationRecord, User, session_scope
from medassist.service.deps import ServiceContext
from medassist.service.resources import Resources

DEMO_ACCOUNTS = {"clinician": "clinician@demo.medassist.test", "patient": "patient@demo.medassist.test"}
CREDENTIALS_FILE = "demo-credentials.json"
# (text, age, sex, answers to give to the next questions, finish the interview)
SAMPLES: list[tuple[str, float, str, list[str], bool]] = [
    ("I've had a sore throat and a fever for two days, and it hurts to swallow.", 24, "f", ["no", "no", "no"], True),
    ("Crushing pain in my chest that spreads to my left arm, and I'm sweating a lot.", 58, "m", [], True),
    # left mid-interview, so the demo shows one consultation still in progress (a clear-cut cold would end at once)
    ("I keep coughing for a week, with some fever.", 45, "m", ["no"], False),
]


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    os.replace(tmp, path)


def seed(ctx: ServiceContext, res: Resources) -> dict[str, dict[str, str]]:
    """Create (or repair) the demo accounts and sample consultations; return {role: {email, password}}."""
    path = ctx.settings.resolved_data_dir() / CREDENTIALS_FILE
    saved: dict[str, dict[str, str]] = {}
    if path.exists():
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            saved = {}
    creds: dict[str, dict[str, str]] = {}
    with session_scope(ctx.sessions) as db:
        for role, email in DEMO_ACCOUNTS.items():
            user = db.scalar(select(User).where(User.email == email))
            password = saved.get(role, {}).get("password")
            if user is None:
                password = password or secrets.token_urlsafe(12)
                user = User(email=email, password_hash=ctx.passwords.hash(password), role=role, active=True,
                            token_version=0)
                db.add(user)
            elif password is None or not ctx.passwords.verify(user.password_hash, password):
                password = secrets.token_urlsafe(12)  # the saved file is gone or stale: set a new one
                user.password_hash = ctx.passwords.hash(password)
                user.token_version += 1
            user.active = True
            creds[role] = {"email": email, "password": password}
        db.flush()
        patient = db.scalar(select(User).where(User.email == DEMO_ACCOUNTS["patient"]))
        assert patient is not None
        count = db.scalar(select(func.count()).select_from(ConsultationRecord)
                          .where(ConsultationRecord.patient_id == patient.id))
        if not count:
            for text, age, sex, replies, finish in SAMPLES:
                rec, result = consult.start(db, res, ctx.cipher, patient, text, age, sex)
                for reply in replies:
                    question = result.get("next_question")
                    if not question or rec.status == "complete":
                        break
                    result = consult.answer(db, res, ctx.cipher, rec, question["finding"], reply)
                if finish:
                    consult.finish(rec)
                db.flush()
    _write_private(path, creds)
    return creds
