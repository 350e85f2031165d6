"""Fixtures of the engine contract suite: one store per test, from every engine in ``ENGINES``.

This suite states what any storage engine must do, so a second engine (PostgreSQL) is checked
by the very same tests: add its factory to ``ENGINES``. A factory knows three engine-specific
things and nothing more: where a fresh, empty store lives for one test (``location``, which
``open_store`` and another process can open), how to open it (again: a second instance at the
same location is how cross-instance tests see what another process would), and how to make the
engine read a clock the test moves (lease and backoff tests), since each engine takes its time
from somewhere else (Python's ``time.time`` for SQLite, the server's clock for PostgreSQL).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import psycopg
import pytest

from memvault.storage import open_store
from memvault.storage.roles import Store


class Clock:
    """A clock the test moves by hand: leases and backoff are checked exactly, without sleeping."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class EngineFactory(Protocol):
    @property
    def location(self) -> str:
        """Where this test's store lives: a path or URL that ``open_store`` accepts."""
        ...

    def open(self) -> Store:
        """A new instance of the store at ``location`` (each call: another instance)."""
        ...

    def install_clock(self, clock: Clock) -> None:
        """From now until the test ends, the engine's leases and backoff read ``clock``."""
        ...


class SqliteFactory:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self._location = str(tmp_path / "contract.db")
        self._monkeypatch = monkeypatch

    @property
    def location(self) -> str:
        return self._location

    def open(self) -> Store:
        return open_store(self._location)

    def install_clock(self, clock: Clock) -> None:
        from memvault.storage.sqlite import vector_queue  # the engine's own clock

        self._monkeypatch.setattr(vector_queue, "time", clock)


# The PostgreSQL server the suite runs on (the one `.ci/run` starts); each test run makes a
# database of its own there, and each test a schema of its own in it.
SERVER_URL = os.environ.get(
    "MEMVAULT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


class PostgresFactory:
    def __init__(self, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self._schema = f"t_{uuid.uuid4().hex[:16]}"
        self._location = f"{database_url}?schema={self._schema}"
        self._database_url = database_url
        self._monkeypatch = monkeypatch

    @property
    def location(self) -> str:
        return self._location

    def open(self) -> Store:
        from memvault.storage.postgres.store import PostgresStore

        return PostgresStore(self._location)  # type: ignore[return-value]

    def install_clock(self, clock: Clock) -> None:
        from memvault.storage.postgres import vector_queue  # type: ignore[attr-defined]

        self._monkeypatch.setattr(vector_queue, "time", clock)

    def drop(self) -> None:
        with psycopg.connect(self._database_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self._schema} CASCADE")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database for this test run (this xdist worker) on the test server, dropped after."""
    name = f"memvault_contract_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# One entry per engine: every contract test runs once for each.
ENGINES = ("postgres", "sqlite")
# While the PostgreSQL engine is being built, the contract modules of the roles it has.
POSTGRES_MODULES: set[str] = {
    "test_adjacent",
    "test_files",
    "test_graph",
    "test_imports",
    "test_memories",
    "test_search",
    "test_session_records",
    "test_session_telemetry",
    "test_sessions",
    "test_vector_queue",
    "test_vectors",
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames:
        module = metafunc.module.__name__.rsplit(".", 1)[-1]
        names = [n for n in ENGINES if n == "sqlite" or module in POSTGRES_MODULES]
        metafunc.parametrize("engine", names, indirect=True)


@pytest.fixture
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EngineFactory]:
    if request.param == "sqlite":
        yield SqliteFactory(tmp_path, monkeypatch)
        return
    factory = PostgresFactory(request.getfixturevalue("postgres_database"), monkeypatch)
    yield factory
    factory.drop()


@pytest.fixture
def store(engine: EngineFactory) -> Iterator[Store]:
    opened = engine.open()
    yield opened
    opened.close()


@pytest.fixture
def second_store(engine: EngineFactory, store: Store) -> Iterator[Store]:
    """Another instance over the same data, as another process would open it."""
    opened = engine.open()
    yield opened
    opened.close()


@pytest.fixture
def clock(engine: EngineFactory) -> Clock:
    fake = Clock()
    engine.install_clock(fake)
    return fake
