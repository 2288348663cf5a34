"""Alembic migrations of the service database (run automatically at start-up by ``db.migrate``)."""
