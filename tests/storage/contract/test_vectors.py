"""VectorStore, the vectors: the vault's model and storage, and vectors that never go stale."""

from __future__ import annotations

import numpy as np
import pytest

from memvault.core.errors import ModelMismatchError
from memvault.core.records import MemoryPatch
from memvault.core.vector_records import VectorStorage
from memvault.storage.roles import Store
from tests.storage.contract.helpers import (
    DIMS,
    EMBEDDER,
    EVERYTHING,
    HASH,
    STORAGES,
    Patterns,
    embed_pending,
    insert,
    unit,
)

T1 = "2026-02-01T00:00:00.000000Z"


def nearest(store: Store, text: str, limit: int = 5) -> list[str]:
    hits = store.vector_search(HASH.embed_query(text), EVERYTHING, limit=limit)
    return [memory_id for memory_id, _ in hits]


@pytest.mark.parametrize("storage", STORAGES)
def test_the_first_vectors_fix_the_vaults_model_and_storage(
    store: Store, storage: VectorStorage
) -> None:
    patterns = Patterns()
    ids = insert(store, *(f"memory {n}" for n in range(5)), embed=True)
    assert store.vector_config() is None  # nothing is decided before the first vector
    vectors = {memory_id: patterns.flipped(10 * n + 1) for n, memory_id in enumerate(ids)}
    assert embed_pending(store, vectors, model_id="toy-384", storage=storage) == 5
    config = store.vector_config()
    assert config is not None
    assert (config.model_id, config.dimensions, config.storage) == ("toy-384", DIMS, storage)
    assert (config.int8_scale is not None) == (storage is VectorStorage.INT8)
    counts = store.job_counts()
    assert (counts.done, counts.pending, counts.failed) == (5, 0, 0)
    assert set(store.vectors_of(ids)) == set(ids)


def test_delete_removes_the_vector_and_the_job(store: Store) -> None:
    keep, gone = insert(
        store, "the deploy script lives in scripts", "the deploy key rotates monthly", embed=True
    )
    embed_pending(store)
    assert nearest(store, "deploy key", limit=1) == [gone]
    store.delete_memory(gone)
    assert nearest(store, "deploy key") == [keep]
    assert store.vectors_of([keep, gone]).keys() == {keep}
    assert store.job_counts().total == 1
    assert store.enqueue_missing_embeddings() == 0
    assert store.check().ok  # and no vector is left behind without its memory


def test_new_content_drops_the_stale_vector_and_requeues(store: Store) -> None:
    (memory_id,) = insert(store, "uses postgres for the queue", embed=True)
    embed_pending(store)
    assert set(store.vectors_of([memory_id])) == {memory_id}

    store.update_memory(
        memory_id, MemoryPatch(content="keeps redis around as a cache"), T1, embed=True
    )
    assert store.vectors_of([memory_id]) == {}  # no vector of the old text survives
    assert store.job_counts().queued == 1
    assert nearest(store, "postgres queue") == []

    assert embed_pending(store) == 1
    counts = store.job_counts()
    assert (counts.pending, counts.failed) == (0, 0)
    np.testing.assert_allclose(
        store.vectors_of([memory_id])[memory_id],
        HASH.embed_query("keeps redis around as a cache"),
        atol=1e-6,
    )
    assert nearest(store, "redis cache", limit=1) == [memory_id]

    store.update_memory(memory_id, MemoryPatch(importance=0.9), T1, embed=True)
    assert set(store.vectors_of([memory_id])) == {memory_id}  # no new text: the vector stays
    assert store.job_counts().queued == 0


def test_new_content_without_embedding_still_drops_the_old_vector(store: Store) -> None:
    (memory_id,) = insert(store, "the old text", embed=True)
    embed_pending(store)
    store.update_memory(memory_id, MemoryPatch(content="the new text"), T1, embed=False)
    assert store.vectors_of([memory_id]) == {} and store.job_counts().queued == 0
    assert store.enqueue_missing_embeddings() == 1  # a later backfill finds it


def test_an_embedding_of_the_old_text_in_flight_is_not_stored(store: Store) -> None:
    # A worker claimed the job and is embedding the old text when the content changes: its
    # result must be refused, and the new text embedded instead.
    (memory_id,) = insert(store, "the cache is memcached", embed=True)
    (task,) = store.claim_embed_jobs("elsewhere:1:a", limit=10, lease_seconds=60)
    stale = HASH.embed_documents([task.content])
    store.update_memory(memory_id, MemoryPatch(content="the cache is redis"), T1, embed=True)
    stored = store.store_embeddings(
        "elsewhere:1:a",
        model_id=HASH.model_id,
        storage=VectorStorage.FLOAT32,
        job_ids=[task.job_id],
        embeddings=stale,
    )
    assert stored == 0 and store.vectors_of([memory_id]) == {}
    assert embed_pending(store) == 1
    np.testing.assert_allclose(
        store.vectors_of([memory_id])[memory_id],
        HASH.embed_query("the cache is redis"),
        atol=1e-6,
    )


def test_an_embedding_in_flight_is_refused_even_when_the_new_text_is_not_queued(
    store: Store,
) -> None:
    # Another process embeds while this one writes with vectors off (embed=False): the new text
    # gets no job, but the old text's vector must not arrive late and pass for the new one.
    (memory_id,) = insert(store, "the cache is memcached", embed=True)
    (task,) = store.claim_embed_jobs("elsewhere:1:a", limit=10, lease_seconds=60)
    store.update_memory(memory_id, MemoryPatch(content="the cache is redis"), T1, embed=False)
    stored = store.store_embeddings(
        "elsewhere:1:a",
        model_id=HASH.model_id,
        storage=VectorStorage.FLOAT32,
        job_ids=[task.job_id],
        embeddings=HASH.embed_documents([task.content]),
    )
    assert stored == 0 and store.vectors_of([memory_id]) == {}


def test_another_instance_sees_vector_writes_and_deletes(store: Store, second_store: Store) -> None:
    first = insert(store, "alpha release notes", embed=True)[0]
    embed_pending(store)
    assert nearest(second_store, "alpha release") == [first]

    second = insert(store, "beta rollout checklist", embed=True)[0]
    embed_pending(store)
    assert nearest(second_store, "beta rollout", limit=1) == [second]

    store.delete_memory(second)
    assert second not in nearest(second_store, "beta rollout")
    store.update_memory(first, MemoryPatch(content="gamma incident review"), T1, embed=True)
    assert nearest(second_store, "alpha release") == []  # stale vector gone there too
    embed_pending(second_store)  # and the other instance can do the embedding
    assert nearest(store, "gamma incident") == [first]
    assert nearest(second_store, "gamma incident") == [first]


def test_vectors_of_another_model_are_refused_naming_reembed(store: Store) -> None:
    insert(store, "made by the first model", embed=True)
    embed_pending(store)
    (memory_id,) = insert(store, "queued under the second model", embed=True)
    (task,) = store.claim_embed_jobs("t:1:x", limit=5, lease_seconds=60)
    with pytest.raises(ModelMismatchError) as caught:
        store.store_embeddings(
            "t:1:x",
            model_id="hash-128",
            storage=VectorStorage.FLOAT32,
            job_ids=[task.job_id],
            embeddings=np.full((1, 128), 0.088, np.float32),
        )
    message = str(caught.value)
    assert "memvault reembed" in message and "hash-384" in message and "hash-128" in message
    # The refused write left nothing: the model, the vectors and the job are as they were.
    config = store.vector_config()
    assert config is not None and (config.model_id, config.dimensions) == ("hash-384", 384)
    assert store.vectors_of([memory_id]) == {}
    assert store.job_counts().running == 1
    with pytest.raises(ModelMismatchError):  # the same model name at another width, too
        store.store_embeddings(
            "t:1:x",
            model_id="hash-384",
            storage=VectorStorage.FLOAT32,
            job_ids=[task.job_id],
            embeddings=np.full((1, 128), 0.088, np.float32),
        )


def test_reset_vectors_starts_a_reembed_from_nothing(store: Store) -> None:
    ids = insert(store, "one", "two", "three", embed=True)
    embed_pending(store)
    store.reset_vectors()
    assert store.vector_config() is None
    assert store.vectors_of(ids) == {} and store.job_counts().total == 0
    assert store.vector_search(unit(1.0), EVERYTHING, limit=5) == []
    assert store.get_memory(ids[0]) is not None  # the memories themselves stay

    assert store.enqueue_missing_embeddings() == 3
    patterns = Patterns()
    vectors = {memory_id: patterns.flipped(n + 1) for n, memory_id in enumerate(ids)}
    embed_pending(store, vectors, model_id="other-model", storage=VectorStorage.BIT)
    config = store.vector_config()
    assert config is not None and (config.model_id, config.storage) == (
        "other-model",
        VectorStorage.BIT,
    )
    hits = store.vector_search(patterns.query(), EVERYTHING, limit=3)
    assert [memory_id for memory_id, _ in hits] == ids


def test_a_reset_seen_from_another_instance(store: Store, second_store: Store) -> None:
    ids = insert(store, "alpha", "beta", embed=True)
    embed_pending(store)
    assert nearest(second_store, "alpha", limit=1) == [ids[0]]
    store.reset_vectors()
    assert nearest(second_store, "alpha") == []
    store.enqueue_missing_embeddings()
    vectors = {ids[0]: unit(0.0, 1.0), ids[1]: unit(1.0)}
    embed_pending(store, vectors, model_id="toy", owner=EMBEDDER)
    hits = second_store.vector_search(unit(1.0), EVERYTHING, limit=2)
    assert [memory_id for memory_id, _ in hits] == [ids[1], ids[0]]


def test_bit_storage_scores_the_full_query_against_the_codes(store: Store) -> None:
    # Two memories one sign away from the query: by Hamming distance alone they tie (and the
    # older id would win); scored as the index rescores, the one whose flipped sign sits on a
    # small component of the query is nearer, with score q . s / sqrt(d).
    rng = np.random.default_rng(11)
    query = rng.uniform(0.01, 0.02, DIMS).astype(np.float32)
    query[0], query[1] = 0.5, 0.05
    query /= np.linalg.norm(query)
    signs = np.ones(DIMS, dtype=np.float32)
    big_flipped, small_flipped = signs.copy(), signs.copy()
    big_flipped[0], small_flipped[1] = -1.0, -1.0
    older, newer = insert(store, "big component flipped", "small component flipped", embed=True)
    embed_pending(
        store,
        {older: big_flipped / np.sqrt(DIMS), newer: small_flipped / np.sqrt(DIMS)},
        storage=VectorStorage.BIT,
    )
    hits = store.vector_search(query, EVERYTHING, limit=2)
    assert [memory_id for memory_id, _ in hits] == [newer, older]
    expected = float(query @ small_flipped / np.sqrt(DIMS))
    assert hits[0][1] == pytest.approx(expected, rel=1e-5)
