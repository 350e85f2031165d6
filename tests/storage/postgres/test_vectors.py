"""The vector parts only PostgreSQL has: the HNSW path of a search, and pgvector's adapters on
pooled connections (made before the extension existed, or used across a reset)."""

from __future__ import annotations

import uuid

import numpy as np
import psycopg
import pytest

from memvault.core.records import MemoryFilter
from memvault.core.vector_records import VectorStorage
from memvault.storage.postgres import vector_search
from memvault.storage.postgres.store import PostgresStore
from tests.postgres_server import SERVER_URL
from tests.storage.contract.helpers import (
    EVERYTHING,
    HASH,
    STORAGES,
    Patterns,
    embed_pending,
    insert,
)


@pytest.mark.parametrize("storage", STORAGES)
def test_the_index_path_keeps_a_selective_filter_exact(
    store: PostgresStore, storage: VectorStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The contract's vaults are small enough to be searched exactly; here the HNSW index with
    # its iterative scan answers (every filter counts as broad), and must find the same.
    monkeypatch.setattr(vector_search, "EXACT_BELOW", 0)
    patterns = Patterns()
    crowd = insert(store, *(f"crowd {n}" for n in range(300)), embed=True)
    rare_flips = [160, 100, 190, 130]
    rare = {n: insert(store, f"rare {n}", namespace="rare", embed=True)[0] for n in rare_flips}
    vectors = {memory_id: patterns.flipped(1 + i % 60) for i, memory_id in enumerate(crowd)}
    vectors.update({rare[n]: patterns.flipped(n) for n in rare_flips})
    embed_pending(store, vectors, storage=storage)
    query = patterns.query()

    hits = store.vector_search(query, MemoryFilter(namespace="rare"), limit=3)
    assert [memory_id for memory_id, _ in hits] == [rare[100], rare[130], rare[160]]
    top = store.vector_search(query, EVERYTHING, limit=20)
    assert len(top) == 20 and {memory_id for memory_id, _ in top} <= set(crowd)
    assert [s for _, s in top] == sorted((s for _, s in top), reverse=True)
    everything = store.vector_search(query, EVERYTHING, limit=1_000)  # more than ef_search
    assert len(everything) == 304


def test_a_store_whose_first_connection_predates_the_extension() -> None:
    # A new database: the pool's first connection is made (and configured) before the
    # migration creates the extension, so it starts without pgvector's adapters.
    name = f"memvault_fresh_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        store = PostgresStore(SERVER_URL.rsplit("/", 1)[0] + f"/{name}")
        try:
            (memory_id,) = insert(store, "the first vector of a new database", embed=True)
            assert embed_pending(store) == 1
            np.testing.assert_allclose(
                store.vectors_of([memory_id])[memory_id],
                HASH.embed_query("the first vector of a new database"),
                atol=1e-6,
            )
            hits = store.vector_search(HASH.embed_query("first vector"), EVERYTHING, limit=1)
            assert [hit for hit, _ in hits] == [memory_id]
        finally:
            store.close()
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_reads_survive_a_reset_by_another_instance(store: PostgresStore, location: str) -> None:
    # Enough reads for psycopg to prepare its statements here, then another instance (another
    # server: psycopg sees no DDL on this one's connections) resets, and the column comes back
    # as halfvec where it was vector. A plan cached for the old type must not be reused.
    ids = insert(store, "alpha", "beta", embed=True)
    embed_pending(store)
    for _ in range(8):
        assert store.vectors_of(ids).keys() == set(ids)
        assert len(store.vector_search(HASH.embed_query("alpha"), EVERYTHING, limit=2)) == 2
    other = PostgresStore(location)
    try:
        other.reset_vectors()
        other.enqueue_missing_embeddings()
        embed_pending(other, storage=VectorStorage.INT8)
    finally:
        other.close()
    for _ in range(3):
        back = store.vectors_of(ids)
        assert back.keys() == set(ids)
        np.testing.assert_allclose(back[ids[0]], HASH.embed_query("alpha"), atol=0.01)
        hits = store.vector_search(HASH.embed_query("alpha"), EVERYTHING, limit=1)
        assert [hit for hit, _ in hits] == [ids[0]]
