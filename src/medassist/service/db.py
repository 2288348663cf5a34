"""Storage: SQLAlchemy 2 tables, the engine factory and the migration runner.

Free text (what a patient wrote, clinical notes, review comments, the stored interview state and
results, which quote the patient's words) is kept only as Fernet ciphertext in ``*_enc`` columns.
Columns in clear hold what the service must sort and filter by: ids, roles, times, triage levels,
knowledge-base condition ids.  ``audit_log`` is append-only: triggers refuse UPDATE and DELETE.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sqlite3
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from medassist.errors import ErrorCode, MedAssistError
from medassist.service.settings import sqlite_path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ROLES = ("patient", "clinician", "admin")
REVIEW_STATES = ("none", "pending", "approved", "amended")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id() -> str:
    return uuid.uuid4().hex


BigId = BigInteger().with_variant(Integer, "sqlite")
# request ids are validated to this length by the middleware (a UUID with its hyphens is 36)
REQUEST_ID_LENGTH = 64


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no zone: it is put back on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class DatabaseUnavailable(MedAssistError):
    """The database cannot take writes (deleted file, read-only database): 503, and readiness fails."""

    def __init__(self, reason: str) -> None:
        super().__init__(ErrorCode.E607, reason=reason)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # bumped when the password, role or active flag changes: older tokens stop working
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    # failed sign-ins in a row and the lockout they earned (kept in the database: shared by every worker)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ConsultationRecord(Base):
    __tablename__ = "consultations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="interview")  # interview | complete
    state_enc: Mapped[str] = mapped_column(Text)
    result_enc: Mapped[str] = mapped_column(Text)
    triage_level: Mapped[str | None] = mapped_column(String(32), nullable=True)
    red_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    top_condition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    top_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    questions_answered: Mapped[int] = mapped_column(Integer, default=0)
    review_status: Mapped[str] = mapped_column(String(16), default="none", index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id"), index=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(16))  # approve | amend
    condition_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    comment_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # the review this one replaces (None for the first); reviews are never updated or deleted
    supersedes_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class LabelledExample(Base):
    """A clinician's correction kept for training: de-identified text (encrypted) and the corrected label."""

    __tablename__ = "labelled_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id"), index=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    text_enc: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NoteRecord(Base):
    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    text_enc: Mapped[str] = mapped_column(Text)
    analysis_enc: Mapped[str] = mapped_column(Text)
    entity_count: Mapped[int] = mapped_column(Integer, default=0)
    phi_count: Mapped[int] = mapped_column(Integer, default=0)


class AuditEvent(Base):
    """Who read or changed which record.  Never any patient text: ids, roles and action names only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    actor_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_LENGTH), nullable=True)


class ServiceMeta(Base):
    """Facts about the data itself: the fingerprint of the key the free text was encrypted with."""

    __tablename__ = "service_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


# ---------------------------------------------------------------------------------------------- engine
def make_engine(url: str, schema: str | None = None, *, create: bool = True, **kwargs: Any) -> Engine:
    """An engine for a SQLite file (WAL) or a PostgreSQL URL (optional schema).

    A SQLite file is created (with its folder) only when ``create`` is true: a mistyped path is an error
    (E605), not a new empty database.  Connections open the file read-write without creating it, and every
    commit checks the file is still the one opened: a deleted or replaced file refuses writes (E607)
    instead of acknowledging them into an unlinked inode.
    """
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is None:
            return _sqlite_engine(url, None, **kwargs)
        path = path.resolve()
        if not path.exists():
            if not create:
                raise MedAssistError(ErrorCode.E605, path=path)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(fd)
        return _sqlite_engine(url, path, **kwargs)
    connect_args: dict[str, Any] = {}
    if schema:
        if not schema.replace("_", "").isalnum():
            raise ValueError("the database schema name may hold only letters, digits and underscores")
        connect_args["options"] = f"-csearch_path={schema}"
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_engine(url: str, path: Path | None, **kwargs: Any) -> Engine:
    if path is None:
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
    else:
        uri = f"file:{path}?mode=rw"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)

        from sqlalchemy.pool import QueuePool

        # "sqlite://" would pick the in-memory pool; this is a file shared by threads
        engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool, pool_size=5, max_overflow=15, **kwargs)
        _SQLITE_FILES[engine] = (path, _file_identity(path))

        @event.listens_for(engine, "commit")
        def _still_there(_conn: Any) -> None:
            check_file(engine)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if path is not None:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


# engine -> (its SQLite file, (st_dev, st_ino) when opened)
_SQLITE_FILES: weakref.WeakKeyDictionary[Engine, tuple[Path, tuple[int, int] | None]] = weakref.WeakKeyDictionary()


def sqlite_file(engine: Engine) -> Path | None:
    entry = _SQLITE_FILES.get(engine)
    return entry[0] if entry else None


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def check_file(engine: Engine) -> None:
    """Raise E607 when the SQLite file of ``engine`` was deleted or replaced since the engine opened it."""
    entry = _SQLITE_FILES.get(engine)
    if entry is None:
        return
    path, opened = entry
    now = _file_identity(path)
    if now is None:
        raise DatabaseUnavailable("the database file was deleted")
    if now != opened:
        raise DatabaseUnavailable("the database file was replaced by another file")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


MIGRATION_LOCK = 0x6D656461  # PostgreSQL advisory lock id taken while migrating ("meda")


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic ``upgrade head``, run in-process).

    Under a lock, so that two processes starting on a fresh database do not both create the tables: a
    PostgreSQL advisory lock held by the migration's own transaction, a file lock next to a SQLite file.
    """
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    path = sqlite_file(engine)
    lock_fd = None
    if path is not None:
        lock_fd = os.open(f"{path}.migrate-lock", os.O_WRONLY | os.O_CREAT, 0o600)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        if lock_fd is not None:
            fcntl.flock(lock_fd, fcntl.LOCK_UN)
            os.close(lock_fd)


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # the reason is logged by the caller as a type, never a URL with a password
        return False


def writable(engine: Engine) -> str | None:
    """None when the database takes writes; else the reason (a write that is rolled back, on every backend)."""
    try:
        check_file(engine)
        with engine.connect() as conn:
            conn.execute(text("UPDATE service_meta SET value = value WHERE key = 'key_fingerprint'"))
            conn.rollback()
        return None
    except DatabaseUnavailable as exc:
        return str(exc.kwargs.get("reason"))
    except Exception as exc:  # noqa: BLE001 - the type is the reason; messages may carry a URL
        return type(exc).__name__


def get_meta(engine: Engine, key: str) -> str | None:
    """A value of ``service_meta`` (None when missing, or when the table does not exist yet)."""
    from sqlalchemy import inspect

    with engine.connect() as conn:
        if not inspect(conn).has_table("service_meta"):
            return None
        return conn.execute(text("SELECT value FROM service_meta WHERE key = :k"), {"k": key}).scalar()


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
