"""``discard_store``: a throw-away store goes for good, and nothing else goes with it."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from memvault.core.errors import InvalidInputError
from memvault.storage import database_files, discard_store, open_store
from tests.postgres_server import split_location


def schema_exists(url: str) -> bool:
    database, schema = split_location(url)
    with psycopg.connect(database) as conn:
        found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        return found.fetchone() is not None


def test_a_postgres_store_is_its_schema_dropped(postgres_url: str) -> None:
    store = open_store(postgres_url)
    store.set_setting("k", "v")
    store.close()
    assert schema_exists(postgres_url)
    discard_store(postgres_url)
    assert not schema_exists(postgres_url)
    discard_store(postgres_url)  # gone already: no error


def test_the_default_schema_is_never_discarded(postgres_database: str) -> None:
    with pytest.raises(InvalidInputError, match=r"\?schema=NAME"):
        discard_store(postgres_database)


def test_a_sqlite_store_is_its_files_deleted(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    store = open_store(path)
    store.set_setting("k", "v")
    store.close()
    assert path.is_file()
    discard_store(f"sqlite:///{path}")
    assert not any(file.exists() for file in database_files(path))
    assert list(tmp_path.iterdir()) == []
