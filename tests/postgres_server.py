"""The PostgreSQL server the tests run on (the one `.ci/run` starts), as fixtures.

Each test run (each xdist worker) makes a database of its own there and drops it at the end;
each test that asks for ``postgres_url`` gets a schema of its own in it, dropped after the test,
so tests never see each other's rows and nothing is left on the server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from memvault.storage import discard_store

SERVER_URL = os.environ.get(
    "MEMVAULT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def split_location(url: str) -> tuple[str, str]:
    """A store URL as (the database's URL, the store's schema), for tests that look inside."""
    database, schema = url.split("?schema=")
    return database, schema


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database for this test run on the test server, dropped after."""
    name = f"memvault_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at {SERVER_URL} is not reachable ({exc}); start it with "
            "scripts/ensure_services.sh (.ci/run does)"
        )
    yield SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """The URL of a fresh, empty store: a schema of its own in the run's database."""
    url = f"{postgres_database}?schema=t_{uuid.uuid4().hex[:16]}"
    yield url
    discard_store(url)
