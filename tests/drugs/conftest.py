"""Fixtures for the drug-safety tests: the shipped tables (loaded once) and a tiny hand-written folder."""

from __future__ import annotations

import pytest

from medassist.drugs.data import DrugDB, get_db
from tests.drugs.mini_drugdb import write_folder


@pytest.fixture(scope="session")
def db() -> DrugDB:
    """The shipped data, loaded once for the session."""
    return get_db()


@pytest.fixture(scope="session")
def mini_db(tmp_path_factory: pytest.TempPathFactory) -> DrugDB:
    return DrugDB.load(write_folder(tmp_path_factory.mktemp("mini_drugs")))
