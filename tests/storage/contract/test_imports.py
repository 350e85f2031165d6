"""ImportLedger: import links and runs, vectors carried from a source, exact restores."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from memvault.core.errors import ModelMismatchError
from memvault.core.import_records import ImportLink, ImportOrigin, ImportRun, ImportRunEntry
from memvault.core.records import Edge, MemoryRecord, ValidationEvent, Verdict
from memvault.core.vector_records import VectorStorage
from memvault.storage.roles import Store
from tests.storage.contract.helpers import DIMS, EVERYTHING, STORAGES, Vector, insert, memory

T0 = "2025-06-01T10:00:00.000000Z"
T1 = "2025-07-01T10:00:00.000000Z"
T2 = "2025-08-01T10:00:00.000000Z"
SOURCE = "chroma:///data/chroma/notes"


def random_units(n: int, seed: int = 3) -> Vector:
    rows = np.random.default_rng(seed).standard_normal((n, DIMS)).astype(np.float32)
    units: Vector = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return units


# --- links and runs ---------------------------------------------------------------------------
def test_import_links_are_upserted_per_source(store: Store) -> None:
    first = ImportLink(SOURCE, "doc-1", "m1", "h1", "carried")
    second = ImportLink(SOURCE, "doc-2", "m2", "h2", "embedded")
    elsewhere = ImportLink("mysql://db/t", "doc-1", "m3", "h3", "none")
    store.put_import_links([first, second, elsewhere])
    assert store.import_links(SOURCE, ["doc-1", "doc-2", "doc-9"]) == {
        "doc-1": first,
        "doc-2": second,
    }
    changed = replace(first, memory_id="m1b", record_hash="h1b", vector="none")
    store.put_import_links([changed])
    assert store.import_links(SOURCE, ["doc-1"]) == {"doc-1": changed}
    assert store.import_links("mysql://db/t", ["doc-1"]) == {"doc-1": elsewhere}
    assert (store.import_link_count(SOURCE), store.import_link_count("mysql://db/t")) == (2, 1)
    assert store.import_link_count("unknown") == 0 and store.import_links(SOURCE, []) == {}
    store.put_import_links([])


def test_an_import_run_is_saved_and_resumed_from(store: Store) -> None:
    assert store.import_run(SOURCE) is None
    running = ImportRun(SOURCE, "running", "doc-500", imported=500, updated=3, unchanged=1)
    store.save_import_run(running)
    assert store.import_run(SOURCE) == running
    done = ImportRun(SOURCE, "done", None, imported=900, updated=3, unchanged=1, failed=2)
    store.save_import_run(done)
    assert store.import_run(SOURCE) == done
    assert store.import_run("other") is None


def test_import_runs_are_listed_one_per_source_the_latest_first(store: Store) -> None:
    assert store.import_runs() == []
    store.save_import_run(ImportRun(SOURCE, "running", "doc-500", imported=500, owner="h:1:t"))
    other = ImportRun("jsonl:///tmp/a.jsonl", "failed", "l-9", imported=9, error="line 10: bad")
    store.save_import_run(other)
    done = ImportRun(SOURCE, "done", None, imported=900, updated=3, unchanged=1, failed=2)
    store.save_import_run(done)  # the same source again: still one entry, now the latest
    listed = store.import_runs()
    assert [entry.run for entry in listed] == [done, other]
    first = listed[0]
    assert isinstance(first, ImportRunEntry)
    assert first.started_at <= first.updated_at and first.updated_at > listed[1].updated_at
    assert [entry.run for entry in store.import_runs(limit=1)] == [done]


# --- carried vectors --------------------------------------------------------------------------
@pytest.mark.parametrize("storage", STORAGES)
def test_carried_vectors_round_trip_and_settle_their_jobs(
    store: Store, storage: VectorStorage
) -> None:
    ids = insert(store, *(f"imported {n}" for n in range(20)), embed=True)
    matrix = random_units(20)
    assert store.job_counts().queued == 20
    carried = store.carry_vectors(ids, model_id="source-model", storage=storage, matrix=matrix)
    assert carried == 20
    counts = store.job_counts()
    assert (counts.queued, counts.done, counts.pending) == (0, 20, 0)
    assert store.enqueue_missing_embeddings() == 0  # nothing embeds them again
    config = store.vector_config()
    assert config is not None and (config.model_id, config.storage) == ("source-model", storage)

    back = store.vectors_of(ids)
    assert back.keys() == set(ids)
    for row, memory_id in enumerate(ids):
        got, want = back[memory_id], matrix[row]
        assert got.dtype == np.float32 and got.shape == (DIMS,)
        if storage is VectorStorage.FLOAT32:
            np.testing.assert_allclose(got, want, atol=1e-6)
        elif storage is VectorStorage.INT8:
            np.testing.assert_allclose(got, want, atol=0.01)
        else:  # bit codes come back as ±1
            np.testing.assert_array_equal(got, np.where(want > 0, 1.0, -1.0))
    # Whatever the storage, the nearest of a stored vector is its own memory.
    for row in (0, 7, 19):
        (top, _), *_ = store.vector_search(matrix[row], EVERYTHING, limit=3)
        assert top == ids[row]


def test_carrying_skips_unknown_memories_and_needs_the_vaults_model(store: Store) -> None:
    ids = insert(store, "a", "b")
    matrix = random_units(3)
    carried = store.carry_vectors(
        [ids[0], "gone", ids[1]], model_id="m", storage=VectorStorage.FLOAT32, matrix=matrix
    )
    assert carried == 2
    back = store.vectors_of([ids[1], "gone"])
    assert back.keys() == {ids[1]}
    np.testing.assert_allclose(back[ids[1]], matrix[2], atol=1e-6)  # rows stay with their ids
    counts = store.job_counts()
    assert (counts.done, counts.pending) == (2, 0)  # settled though no job was queued
    (late,) = insert(store, "c")
    with pytest.raises(ModelMismatchError):
        store.carry_vectors(
            [late], model_id="other", storage=VectorStorage.FLOAT32, matrix=matrix[:1]
        )
    assert store.vectors_of([late]) == {}
    assert (
        store.carry_vectors(
            ["gone"], model_id="x", storage=VectorStorage.FLOAT32, matrix=matrix[:1]
        )
        == 0
    )


def test_vectors_of_before_any_vector_is_empty(store: Store) -> None:
    ids = insert(store, "no vectors yet")
    assert store.vectors_of(ids) == {} and store.vectors_of([]) == {}


# --- exact restores ---------------------------------------------------------------------------
def exported() -> list[MemoryRecord]:
    old = memory(
        "deploy with make deploy",
        memory_id="old-1",
        namespace="team",
        tags=["ops"],
        created_at=T0,
        valid_to=T1,
        superseded_by="new-1",  # later in the batch: must still be linked
        metadata={"k": "v"},
        source="wiki",
        confidence=0.65,
    )
    old = replace(old, updated_at=T1, accessed_at=T2, access_count=7)
    new = memory("deploy with make release", memory_id="new-1", namespace="team", created_at=T1)
    return [
        MemoryRecord(
            old,
            validations=(
                ValidationEvent("ev-1", "old-1", Verdict.CONFIRM, "ann", "ok", 0.5, 0.65, T0),
            ),
        ),
        MemoryRecord(
            new, relations=(Edge("new-1", "old-1", "supersedes", 1.0, {"by": "hand"}, T1),)
        ),
    ]


def test_restore_puts_memories_back_exactly(store: Store) -> None:
    records = exported()
    assert store.restore_memories(records, embed=False) == {}
    assert store.memory_records(["old-1", "new-1"]) == {r.memory.id: r for r in records}
    assert store.job_counts().total == 0
    listed = store.list_memories(EVERYTHING, limit=10)
    assert {m.id for m in listed} == {"old-1", "new-1"}
    assert [
        m.id for m in store.list_memories(replace(EVERYTHING, include_superseded=False), limit=10)
    ] == ["new-1"]
    assert store.restore_memories(records, embed=False) == {}  # again: nothing changes
    assert store.memory_records(["old-1", "new-1"]) == {r.memory.id: r for r in records}
    assert store.stats().memories == 2


def test_restore_reports_records_it_cannot_take_and_keeps_the_rest(store: Store) -> None:
    (taken,) = insert(store, "deploy with make release", namespace="team")
    records = exported()
    errors = store.restore_memories(records, embed=True)
    assert list(errors) == ["new-1"]  # its text is a current memory of the namespace already
    assert store.memories_by_id(["old-1", "new-1"]).keys() == {"old-1"}
    assert store.get_memory(taken) is not None
    assert store.job_counts().queued == 1  # embed: the restored memory is queued


# --- links carried by memory files ------------------------------------------------------------
def test_a_memory_record_carries_its_links_and_restoring_it_brings_them_back(store: Store) -> None:
    (memory_id,) = insert(store, "the kestrel hunts")
    store.put_import_links([ImportLink(SOURCE, "doc-1", memory_id, "h1", "carried")])
    record = store.memory_records([memory_id])[memory_id]
    assert record.imports == (ImportOrigin(SOURCE, "doc-1", "h1"),)

    # Read back (a rebuilt index, a restore): new links are marked embedded here.
    other = memory("the badger digs")
    origin = ImportOrigin(SOURCE, "doc-2", "h2")
    assert store.restore_memories([MemoryRecord(other, imports=(origin,))], embed=True) == {}
    assert store.import_links(SOURCE, ["doc-2"])["doc-2"] == ImportLink(
        SOURCE, "doc-2", other.id, "h2", "embedded"
    )
    # Put again with a newer hash: updated, and a link that stays keeps how its vector came.
    store.put_relations(
        [MemoryRecord(record.memory, imports=(ImportOrigin(SOURCE, "doc-1", "h1b"),))],
        embed=True,
    )
    assert store.import_links(SOURCE, ["doc-1"])["doc-1"] == ImportLink(
        SOURCE, "doc-1", memory_id, "h1b", "carried"
    )
    # A record without links (a file from before files carried them) removes none.
    store.put_relations([MemoryRecord(record.memory)], embed=True)
    assert store.import_link_count(SOURCE) == 2
