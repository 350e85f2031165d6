"""Schema versions of a PostgreSQL store: a new schema at the latest version, several servers
opening one new store at once (one migrates, the others wait and find it done), a store from a
newer memvault refused and left alone, a bad schema name refused before anything is made."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from memvault.core.errors import InvalidInputError, SchemaVersionError
from memvault.core.records import MemoryFilter
from memvault.storage import open_store
from memvault.storage.postgres.migrations import LATEST_VERSION, available_migrations
from tests.postgres_server import split_location
from tests.storage.contract.helpers import memory


def _versions(location: str) -> list[int]:
    url, schema = split_location(location)
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT version FROM {schema}.schema_migrations ORDER BY version")
        return [int(r[0]) for r in rows]


def test_migrations_are_numbered_without_gaps() -> None:
    assert [m.version for m in available_migrations()] == list(range(1, LATEST_VERSION + 1))


def test_a_new_store_is_made_at_the_latest_version(location: str) -> None:
    store = open_store(location)
    try:
        assert store.stats().schema_version == LATEST_VERSION
    finally:
        store.close()
    assert _versions(location) == list(range(1, LATEST_VERSION + 1))


def test_four_processes_opening_one_new_store_at_once_migrate_it_once(location: str) -> None:
    opener = (
        "import sys; from memvault.storage import open_store;"
        " s = open_store(sys.argv[1]); s.set_setting('seen', 'yes'); s.close()"
    )
    with ThreadPoolExecutor(4) as pool:
        done = list(
            pool.map(
                lambda _: subprocess.run(
                    [sys.executable, "-c", opener, location],
                    capture_output=True,
                    text=True,
                    check=False,
                ),
                range(4),
            )
        )
    assert [d.returncode for d in done] == [0] * 4, [d.stderr for d in done]
    assert _versions(location) == list(range(1, LATEST_VERSION + 1))  # each version once


def test_a_store_of_a_newer_memvault_is_refused_and_left_alone(location: str) -> None:
    open_store(location).close()
    url, schema = split_location(location)
    with psycopg.connect(url) as conn:
        conn.execute(
            f"INSERT INTO {schema}.schema_migrations VALUES (%s, 'from the future', 'now')",
            (LATEST_VERSION + 1,),
        )
    with pytest.raises(SchemaVersionError, match="newer than this memvault"):
        open_store(location)
    assert _versions(location)[-1] == LATEST_VERSION + 1


def test_a_schema_name_that_is_not_an_identifier_is_refused(location: str) -> None:
    url = location.split("?schema=", maxsplit=1)[0]
    with pytest.raises(InvalidInputError, match="lower-case letters"):
        open_store(f"{url}?schema=x;DROP TABLE memories")


def test_a_version_1_store_gains_entities_and_keeps_its_memories(location: str) -> None:
    """A store made before entities (version 1: the tables of version 2 gone, its row too)
    is upgraded on open: its memories are kept, each linked to the entities a write would have
    found in it (its tags too), and every new write links its own."""
    store = open_store(location)
    [old] = store.insert_memories([memory("parseConfig was slow", tags=("perf",))])
    store.close()
    url, schema = split_location(location)
    with psycopg.connect(url) as conn:
        conn.execute(f"DROP TABLE {schema}.memory_entities, {schema}.entities")
        conn.execute(f"DELETE FROM {schema}.schema_migrations WHERE version > 1")
    store = open_store(location)
    try:
        assert _versions(location) == list(range(1, LATEST_VERSION + 1))
        kept = store.get_memory(old.id)
        assert kept is not None and kept.content == "parseConfig was slow"
        assert {(e.kind.value, e.name) for e in kept.entities} == {
            ("identifier", "parseConfig"),
            ("tag", "perf"),
        }
        [new] = store.insert_memories([memory("parse_config is fast now")])
        found = store.list_memories(MemoryFilter(entities=("parseconfig",)), limit=5)
        assert {m.id for m in found} == {new.id, old.id}  # the old and the new one meet
    finally:
        store.close()
