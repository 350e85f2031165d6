"""The PostgreSQL engine's operations on real damage: ``check`` must notice it, ``repair`` put
right what is derived, ``compact`` and ``backup`` work on a live store.

Damage is made with raw SQL on the store's schema, which is why these live with the engine (that
a healthy store checks ok and stats count what is there is the contract suite's). Vectors are
written here by hand, in a ``memory_vectors`` table of the shape the vector role makes, so these
tests do not wait for that role.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

from memvault.core.errors import StorageBusyError, StorageError
from memvault.core.records import Edge, MemoryFilter, Verdict
from memvault.core.terms import QueryTerm
from memvault.core.vector_records import VectorStorage
from memvault.storage import database_file_problems
from memvault.storage.postgres.connection import PostgresLocation
from memvault.storage.postgres.store import PostgresStore
from memvault.storage.sqlite.store import SqliteStore
from tests.storage.contract.helpers import embed_pending, insert

T0 = "2026-01-01T00:00:00.000000Z"


@pytest.fixture
def raw(location: str, store: PostgresStore) -> Iterator[psycopg.Connection[Any]]:
    """A connection of the test's own into the store's schema, to damage it."""
    where = PostgresLocation.parse(location)
    with psycopg.connect(where.conninfo, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {where.schema}, public")
        yield conn


def checks(store: PostgresStore) -> dict[str, Any]:
    return {c.name: c for c in store.check().checks}


def vectors_by_hand(raw: psycopg.Connection[Any], typed: bool, *rows: tuple[int, str]) -> None:
    """A vector config of 3-d float32 vectors and its table, with these ``(pk, '[..]')`` rows."""
    raw.execute(
        "INSERT INTO vector_config(id, model_id, dimensions, storage, created_at)"
        " VALUES (1, 'test:3', 3, 'float32', %s)",
        (T0,),
    )
    column = "vector(3)" if typed else "vector"  # untyped: a wrong width can get in
    raw.execute(f"CREATE TABLE memory_vectors(memory_pk bigint PRIMARY KEY, embedding {column})")
    for pk, text in rows:
        raw.execute("INSERT INTO memory_vectors VALUES (%s, %s::vector)", (pk, text))


def pks(raw: psycopg.Connection[Any]) -> list[int]:
    return [int(r[0]) for r in raw.execute("SELECT pk FROM memories ORDER BY pk")]


def test_the_checks_are_named_as_in_sqlite_and_ok_when_healthy(store: PostgresStore) -> None:
    insert(store, "healthy")
    assert set(checks(store)) == {"keyword_index", "vectors", "jobs", "schema_version"}
    assert store.check().ok
    assert store.local_files() == []


def test_missing_keyword_rows_are_found_and_rebuilt(
    store: PostgresStore, raw: psycopg.Connection[Any]
) -> None:
    ids = insert(store, "alpha parser", "beta tokenizer", "gamma")
    raw.execute("DELETE FROM memory_terms WHERE memory_pk = %s", (pks(raw)[0],))
    found = checks(store)["keyword_index"]
    assert not found.ok and found.counts == {"missing": 1, "stray": 0}
    assert store.rebuild_keyword_index() == 3
    assert store.check().ok
    terms = raw.execute("SELECT count(*) FROM memory_terms").fetchone()
    assert terms is not None and terms[0] == len(ids)


def test_stuck_jobs_are_counted_not_failed_and_released(
    store: PostgresStore, raw: psycopg.Connection[Any]
) -> None:
    insert(store, "queued one", "queued two", embed=True)
    raw.execute(
        "UPDATE jobs SET state = 'running', lease_owner = 'elsewhere', lease_until = 1"
        " WHERE id = (SELECT min(id) FROM jobs)"
    )
    jobs = checks(store)["jobs"]
    assert jobs.ok and jobs.counts == {"stuck": 1, "failed": 0, "queued": 1}
    assert store.release_stuck_jobs() == 1
    assert checks(store)["jobs"].counts == {"stuck": 0, "failed": 0, "queued": 2}


def test_bad_vectors_are_found_dropped_and_requeued(
    store: PostgresStore, raw: psycopg.Connection[Any]
) -> None:
    insert(store, "good", "too narrow", "no vector")
    good, narrow, _ = pks(raw)
    vectors_by_hand(raw, False, (good, "[1,0,0]"), (narrow, "[1,0]"), (999_999, "[0,1,0]"))
    found = checks(store)["vectors"]
    assert not found.ok
    assert found.counts == {
        "vectors": 3,
        "stray": 1,
        "lost": 0,
        "without_job": 1,
        "non_finite": 0,
        "wrong_width": 1,
    }
    assert store.drop_bad_vectors(requeue=True) == 2
    after = checks(store)["vectors"]
    assert after.ok and after.counts["vectors"] == 1
    queued = raw.execute("SELECT memory_pk FROM jobs WHERE state = 'queued'").fetchall()
    assert queued == [(narrow,)]


def test_memories_embedded_once_without_a_vector_now_are_queued(
    store: PostgresStore, raw: psycopg.Connection[Any]
) -> None:
    assert store.queue_lost_vectors() == 0  # no vectors yet
    ids = insert(store, "kept", "lost", embed=True)
    embed_pending(store)
    raw.execute("DELETE FROM memory_vectors WHERE memory_pk = %s", (pks(raw)[1],))
    vectors = checks(store)["vectors"]
    assert vectors.ok and vectors.counts["without_job"] == 1 and vectors.counts["lost"] == 0
    assert store.queue_lost_vectors() == 1
    assert store.queue_lost_vectors() == 0  # its job is open now
    assert embed_pending(store) == 1
    assert store.vectors_of(ids).keys() == set(ids)


def test_the_vector_index_is_rebuilt_in_place(
    store: PostgresStore, raw: psycopg.Connection[Any]
) -> None:
    assert store.rebuild_vector_snapshot() == 0  # no vectors yet
    insert(store, "one", "two")
    first, second = pks(raw)
    vectors_by_hand(raw, True, (first, "[1,0,0]"), (second, "[0,1,0]"))
    raw.execute(
        "CREATE INDEX memory_vectors_hnsw ON memory_vectors"
        " USING hnsw (embedding vector_cosine_ops)"
    )
    before = raw.execute("SELECT 'memory_vectors_hnsw'::regclass::oid").fetchone()
    assert store.rebuild_vector_snapshot() == 2
    after = raw.execute("SELECT 'memory_vectors_hnsw'::regclass::oid").fetchone()
    assert before != after  # a new index took the old one's place
    assert store.check().ok


def test_compact_vacuums_and_refuses_while_a_table_is_held(
    store: PostgresStore, location: str
) -> None:
    where = PostgresLocation.parse(location)
    ids = insert(store, *(f"to be deleted {n}" for n in range(200)))
    for memory_id in ids:
        store.delete_memory(memory_id)
    report = store.compact(wait_seconds=5)
    assert report.db_bytes_before > 0 and report.db_bytes_after > 0
    assert report.wal_bytes_before == report.wal_bytes_after == 0
    with psycopg.connect(where.conninfo) as holder:  # as a vacuum of its own would
        holder.execute(f"LOCK TABLE {where.schema}.memories IN SHARE UPDATE EXCLUSIVE MODE")
        with pytest.raises(StorageBusyError):
            store.compact(wait_seconds=0.2)
    assert store.stats().memories == 0


def test_a_backup_is_a_sqlite_vault_of_one_snapshot(
    store: PostgresStore, raw: psycopg.Connection[Any], tmp_path: Path
) -> None:
    a, b = insert(store, "alpha parseConfig", "beta", kind="lesson", tags=["t1", "t2"])
    store.upsert_edge(Edge(a, b, "relates_to", 0.5, {"why": "test"}, T0))
    store.record_validation(
        b, Verdict.USE, rule=lambda c, v: c, actor="me", note=None, event_id="e1", at=T0
    )
    first, second = pks(raw)
    vectors_by_hand(raw, True, (first, "[1,0,0]"), (second, "[0,0.5,0.5]"))
    ticks: list[tuple[int, int]] = []
    late: list[str] = []
    target = tmp_path / "copy.db"
    counted = store.backup(
        target,
        progress=lambda done, total: ticks.append((done, total)),
        pinned=lambda: late.extend(insert(store, "written after the snapshot")),
    )
    assert database_file_problems(target) == []
    assert counted.memories == 2 and ticks[-1][0] == ticks[-1][1] > 0
    copy = SqliteStore(target)
    try:
        stats = copy.stats()
        assert counted.schema_version == stats.schema_version  # the file's, for its manifest
        assert (stats.memories, stats.edges, stats.tags, stats.validation_events) == (2, 1, 2, 1)
        assert copy.get_memory(late[0]) is None
        original = store.get_memory(a)
        assert copy.get_memory(a) == original
        assert copy.edge_sources(b) == store.edge_sources(b) == [a]
        assert copy.validation_history(b) == store.validation_history(b)
        terms = [QueryTerm((("parse",),))]  # an alias of parseConfig: the index was built
        assert [i for i, _ in copy.keyword_search(terms, MemoryFilter(), limit=5)] == [a]
        near = copy.vector_search(np.array([1, 0, 0], dtype=np.float32), MemoryFilter(), limit=1)
        assert [i for i, _ in near] == [a]
        config = copy.vector_config()
        assert config is not None and (config.model_id, config.dimensions) == ("test:3", 3)
        report = copy.check()
        assert report.ok, report.to_dict()
    finally:
        copy.close()
    with pytest.raises(StorageError):
        store.backup(target)  # never over an existing file


@pytest.mark.parametrize("storage", list(VectorStorage))
def test_a_backup_carries_the_vectors_of_every_storage(
    store: PostgresStore, storage: VectorStorage, tmp_path: Path
) -> None:
    ids = insert(store, "one", "two", "three", embed=True)
    embed_pending(store, storage=storage)
    original = store.vectors_of(ids)
    store.backup(tmp_path / "copy.db")
    copy = SqliteStore(tmp_path / "copy.db")
    try:
        assert copy.vector_config() == store.vector_config()
        copied = copy.vectors_of(ids)
        assert copied.keys() == original.keys() == set(ids)
        for memory_id in ids:
            assert np.array_equal(copied[memory_id], original[memory_id])
        assert copy.check().ok
    finally:
        copy.close()
