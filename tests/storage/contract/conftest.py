"""Fixtures of the engine contract suite: one store per test, from every engine in ``ENGINES``.

This suite states what any storage engine must do, so a second engine (PostgreSQL) is checked
by the very same tests: add its factory to ``ENGINES``. A factory knows three engine-specific
things and nothing more: where a fresh, empty store lives for one test (``location``, which
``open_store`` and another process can open), how to open it (again: a second instance at the
same location is how cross-instance tests see what another process would), and how to make the
engine read a clock the test moves (lease and backoff tests): each engine's queue module reads
Python's ``time``, which the factory replaces there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

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


class PostgresFactory:
    """A schema of its own on the test server (``tests/postgres_server.py`` makes and drops
    it); the queue's clock is Python's ``time`` in the engine's module, as for SQLite."""

    def __init__(self, location: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self._location = location
        self._monkeypatch = monkeypatch

    @property
    def location(self) -> str:
        return self._location

    def open(self) -> Store:
        return open_store(self._location)

    def install_clock(self, clock: Clock) -> None:
        from memvault.storage.postgres import vector_queue

        self._monkeypatch.setattr(vector_queue, "time", clock)


# One entry per engine: every contract test runs once for each.
ENGINES = ("postgres", "sqlite")


@pytest.fixture(params=ENGINES)
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EngineFactory]:
    if request.param == "sqlite":
        yield SqliteFactory(tmp_path, monkeypatch)
        return
    yield PostgresFactory(request.getfixturevalue("postgres_url"), monkeypatch)


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
