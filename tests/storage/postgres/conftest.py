"""Fixtures of the PostgreSQL engine's own suite: a store in a schema of its own.

These tests may import engine modules, because what they check (the search path chosen, the
adapters of a pooled connection) exists only in this engine; what any engine must do is tested
once, in ``tests/storage/contract``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from memvault.storage.postgres.store import PostgresStore


@pytest.fixture
def location(postgres_url: str) -> str:
    """Where a fresh store lives: a schema of its own, dropped after the test."""
    return postgres_url


@pytest.fixture
def store(location: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(location)
    yield opened
    opened.close()
