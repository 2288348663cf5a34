"""The master key and the data it protects: checked together at every start, rotated together.

The database keeps the fingerprint of the key its free text was encrypted with (``service_meta``).  A
server refuses to start with another key (E603), and never makes a new key for a database that already
holds data (E604): either would answer "ready" and then fail on every read.  ``medassist keys rotate``
re-encrypts every stored text with a new key in one transaction.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from medassist.errors import ErrorCode, MedAssistError
from medassist.service.db import get_meta
from medassist.service.security import (
    TextCipher,
    check_secret,
    key_file,
    key_fingerprint,
    load_master_key,
    new_secret,
    write_key_file,
)
from medassist.service.settings import Settings

log = logging.getLogger("medassist.service")

FINGERPRINT = "key_fingerprint"
# (table, id column, encrypted columns)
ENCRYPTED: list[tuple[str, str, tuple[str, ...]]] = [
    ("consultations", "id", ("state_enc", "result_enc")),
    ("reviews", "id", ("comment_enc",)),
    ("labelled_examples", "id", ("text_enc",)),
    ("notes", "id", ("text_enc", "analysis_enc")),
]


def _has_data(engine: Engine) -> bool:
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        for table in ("users", "consultations", "notes"):
            if table in names and conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None:
                return True
    return False


def _sample(engine: Engine) -> str | None:
    """One encrypted value, to try a key on a database written before fingerprints were kept."""
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        for table, _id, cols in ENCRYPTED:
            if table in names:
                value = conn.execute(text(f"SELECT {cols[0]} FROM {table} WHERE {cols[0]} IS NOT NULL LIMIT 1")).scalar()
                if value:
                    return str(value)
    return None


def store_fingerprint(engine: Engine, fingerprint: str) -> None:
    with engine.begin() as conn:
        updated = conn.execute(text("UPDATE service_meta SET value = :v WHERE key = :k"),
                               {"k": FINGERPRINT, "v": fingerprint}).rowcount
        if not updated:
            conn.execute(text("INSERT INTO service_meta (key, value) VALUES (:k, :v)"), {"k": FINGERPRINT, "v": fingerprint})


def open_master(settings: Settings, engine: Engine) -> bytes:
    """The master key for ``engine``'s data: checked against the stored fingerprint (stored if new)."""
    data_dir = settings.resolved_data_dir()
    stored = get_meta(engine, FINGERPRINT)
    if settings.secret_key is None and not key_file(data_dir).exists() and (stored is not None or _has_data(engine)):
        raise MedAssistError(ErrorCode.E604, path=key_file(data_dir))
    master = load_master_key(settings.secret_key, data_dir)
    current = key_fingerprint(master)
    if stored is None:
        sample = _sample(engine)
        if sample is not None:
            try:
                TextCipher(master).decrypt(sample)
            except ValueError:
                raise MedAssistError(ErrorCode.E603, stored="(not recorded)", current=current,
                                     data_dir=data_dir) from None
        if inspect(engine).has_table("service_meta"):
            store_fingerprint(engine, current)
    elif stored != current:
        raise MedAssistError(ErrorCode.E603, stored=stored, current=current, data_dir=data_dir)
    return master


def rotate(settings: Settings, engine: Engine, new: bytes | None = None) -> str:
    """Re-encrypt every stored text with a new key; return the new key's fingerprint.

    With the key file: the new key is written next to it first, the database is re-encrypted in one
    transaction, then the new file takes the old one's name (the old key is kept as ``secret.key.previous``).
    With ``MEDASSIST_SECRET_KEY``: ``new`` must be given; set the variable to it before the next start.
    """
    old_master = open_master(settings, engine)
    from_env = settings.secret_key is not None
    if from_env and new is None:
        raise MedAssistError(ErrorCode.E611, reason="the key comes from MEDASSIST_SECRET_KEY: give the new key "
                                                    "on standard input with --new-key-stdin")
    new_master = check_secret(new.decode("utf-8")) if new is not None else new_secret()
    if new_master == old_master:
        raise MedAssistError(ErrorCode.E611, reason="the new key is the old one")
    old, fresh = TextCipher(old_master), TextCipher(new_master)
    path = key_file(settings.resolved_data_dir())
    staged = path.with_name(path.name + ".new")
    if not from_env:
        write_key_file(staged, new_master, replace=True)
    count = 0
    try:
        with engine.begin() as conn:
            names = set(inspect(conn).get_table_names())
            for table, id_col, cols in ENCRYPTED:
                if table not in names:
                    continue
                rows = conn.execute(text(f"SELECT {id_col}, {', '.join(cols)} FROM {table}")).all()
                for row in rows:
                    values: dict[str, Any] = {}
                    for i, col in enumerate(cols, start=1):
                        if row[i] is not None:
                            values[col] = fresh.encrypt(old.decrypt(row[i]))
                    if values:
                        sets = ", ".join(f"{c} = :{c}" for c in values)
                        conn.execute(text(f"UPDATE {table} SET {sets} WHERE {id_col} = :_id"), {**values, "_id": row[0]})
                        count += 1
            # tokens were signed with a key derived from the old one: every account signs in again
            conn.execute(text("UPDATE users SET token_version = token_version + 1"))
            conn.execute(text("UPDATE service_meta SET value = :v WHERE key = :k"),
                         {"k": FINGERPRINT, "v": key_fingerprint(new_master)})
    except MedAssistError:
        if staged.exists():
            staged.unlink()
        raise
    except Exception as exc:
        if staged.exists():
            staged.unlink()
        raise MedAssistError(ErrorCode.E611, reason=type(exc).__name__) from None
    if not from_env:
        if path.exists():
            os.replace(path, path.with_name(path.name + ".previous"))
        os.replace(staged, path)
    log.info("key rotated", extra={"event": "key_rotated", "count": count})
    return key_fingerprint(new_master)


def fingerprint_of(path: Path) -> str:
    return key_fingerprint(load_master_key(None, path.parent, create=False))
