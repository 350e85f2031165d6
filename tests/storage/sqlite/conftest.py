"""Fixtures of the SQLite engine's own suite: raw connections, and a view of the vector index.

These tests may import engine modules, because what they check (rows, the WAL, the vector index
and its snapshot) exists only in this engine. They still reach state through public functions of
those modules or a connection of their own, never through private attributes of a store; what
any engine must do is tested once, in ``tests/storage/contract``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import pytest

from memvault.embedding.base import Embedder
from memvault.service.embeddings import Embeddings
from memvault.service.vault import Vault
from memvault.storage.sqlite import index_snapshot, vectors
from memvault.storage.sqlite.connection import open_connection
from memvault.storage.sqlite.store import SqliteStore


def reader(path: Path) -> apsw.Connection:
    """A connection of the test's own, with sqlite-vec loaded, to look underneath a store."""
    return open_connection(path, reader=True)


def vault_over(
    store: SqliteStore, embedder: str | Embedder | None = None, storage: str | None = None
) -> Vault:
    """A vault over a store the test holds too (closing the vault closes the store)."""
    return Vault(
        store,
        embeddings=Embeddings(store, store, embedder=embedder, storage=storage, background=False),
    )


def value(conn: apsw.Connection, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """The one value a query answers."""
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def rows(conn: apsw.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(sql, params)]


def pk_of(conn: apsw.Connection, memory_id: str) -> int:
    return int(value(conn, "SELECT pk FROM memories WHERE id = ?", (memory_id,)))


class IndexEvents:
    """What the in-process vector indexes of this process did, seen through the module
    functions they call: a full build reads every vector (``vectors.all_vectors``), a start from
    the snapshot loads it (``index_snapshot.load``), catching up reads the log's new entries
    (``vectors.changes_since``)."""

    def __init__(self) -> None:
        self.builds = 0
        self.snapshot_loads = 0
        self.catch_ups = 0

    def reset(self) -> None:
        self.builds = self.snapshot_loads = self.catch_ups = 0

    def started_from(self) -> str:
        """How the last index to start did: from the database, the snapshot, or not yet."""
        if self.builds:
            return "database"
        return "snapshot" if self.snapshot_loads else "nothing"


@pytest.fixture
def index_events(monkeypatch: pytest.MonkeyPatch) -> IndexEvents:
    events = IndexEvents()
    real_all, real_load, real_changes = (
        vectors.all_vectors,
        index_snapshot.load,
        vectors.changes_since,
    )

    def all_vectors(conn: apsw.Connection) -> tuple[list[int], list[bytes]]:
        events.builds += 1
        return real_all(conn)

    def load(path: Path) -> Any:
        found = real_load(path)
        events.snapshot_loads += found is not None
        return found

    def changes_since(conn: apsw.Connection, seq: int) -> tuple[int, list[tuple[int, int, str]]]:
        oldest, changes = real_changes(conn, seq)
        events.catch_ups += bool(changes)
        return oldest, changes

    monkeypatch.setattr(vectors, "all_vectors", all_vectors)
    monkeypatch.setattr(index_snapshot, "load", load)
    monkeypatch.setattr(vectors, "changes_since", changes_since)
    return events


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "v.db"


@pytest.fixture
def raw(db: Path) -> Iterator[apsw.Connection]:
    """A separate reader on the test's database (``db``)."""
    conn = reader(db)
    yield conn
    conn.close()
