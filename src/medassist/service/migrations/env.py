"""Alembic environment: runs on the connection handed in by ``medassist.service.db.migrate``.

For ``alembic revision --autogenerate`` by hand, set ``sqlalchemy.url`` in an alembic.ini (or
MEDASSIST_DB_URL) with ``script_location`` pointing at this folder.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from medassist.service.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("MEDASSIST_DB_URL")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ["MEDASSIST_DB_URL"]
    with create_engine(url).begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
