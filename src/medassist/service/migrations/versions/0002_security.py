"""Issue 18: key fingerprint, request ids of 64 characters, account lockout, append-only review history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# every column of a review but the encrypted comment (which `medassist keys rotate` re-encrypts)
REVIEW_FIXED = "consultation_id, clinician_id, decision, condition_id, created_at, supersedes_id"


def _audit_triggers(dialect: str) -> None:
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "service_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", TZ, nullable=True))
    op.add_column("reviews", sa.Column("supersedes_id", sa.Integer(), nullable=True))
    # request ids: a UUID (36 characters) made every audited request fail on PostgreSQL's VARCHAR(32)
    if dialect == "sqlite":  # the table is rebuilt: its append-only triggers go with it and are made again
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        with op.batch_alter_table("audit_log", recreate="always") as batch:
            batch.alter_column("request_id", type_=sa.String(64), existing_nullable=True)
        _audit_triggers(dialect)
    else:
        op.alter_column("audit_log", "request_id", type_=sa.String(64), existing_nullable=True)
    # a review is history: never changed (but for re-encrypting its comment on key rotation), never deleted
    if dialect == "sqlite":
        op.execute(f"CREATE TRIGGER reviews_no_update BEFORE UPDATE OF {REVIEW_FIXED} ON reviews "
                   "BEGIN SELECT RAISE(ABORT, 'reviews are append-only: add a review that supersedes it'); END")
        op.execute("CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews "
                   "BEGIN SELECT RAISE(ABORT, 'reviews are append-only'); END")
    elif dialect == "postgresql":
        op.execute("CREATE FUNCTION reviews_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'reviews are append-only: add a review that supersedes it'; END $$")
        op.execute(f"CREATE TRIGGER reviews_append_only BEFORE UPDATE OF {REVIEW_FIXED} OR DELETE ON reviews "
                   "FOR EACH ROW EXECUTE FUNCTION reviews_append_only()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS reviews_no_update")
        op.execute("DROP TRIGGER IF EXISTS reviews_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        with op.batch_alter_table("audit_log", recreate="always") as batch:
            batch.alter_column("request_id", type_=sa.String(32), existing_nullable=True)
        _audit_triggers(dialect)
        with op.batch_alter_table("reviews") as batch:
            batch.drop_column("supersedes_id")
    else:
        op.execute("DROP TRIGGER IF EXISTS reviews_append_only ON reviews")
        op.execute("DROP FUNCTION IF EXISTS reviews_append_only()")
        op.alter_column("audit_log", "request_id", type_=sa.String(32), existing_nullable=True)
        op.drop_column("reviews", "supersedes_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
    op.drop_table("service_meta")
