"""The ChromaDB source reading whole stores (0.6 and 1.x): every record, metadata value and
vector, where the vectors come from, the order and checkpoints, and choosing a collection."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import apsw
import numpy as np
import pytest

from memvault.core.errors import InvalidInputError
from memvault.importers.readers.chroma import ChromaSource
from tests.importers.chroma_stores import (
    STORE_0_6,
    TAGGED,
    Store,
    _connect,
    assert_matches,
    collection_names,
    hnsw_slots,
    mk,
    pending_vector_ids,
    read_all,
    source_order,
)

# -- reading whole stores ------------------------------------------------------------------------


def test_the_committed_fixture_is_small_and_from_chromadb_0_6() -> None:
    size = sum(p.stat().st_size for p in STORE_0_6.rglob("*") if p.is_file())
    assert size < 2 * 1024 * 1024
    conn = _connect(STORE_0_6)
    try:  # the 0.x layout: no schema_str, seq ids as big-endian BLOBs
        columns = {row[1] for row in conn.execute("PRAGMA table_info(collections)")}
        assert "schema_str" not in columns
        assert {type(r[0]) for r in conn.execute("SELECT seq_id FROM max_seq_id")} == {bytes}
    finally:
        conn.close()


@pytest.mark.parametrize("collection", list(mk.COLLECTIONS))
def test_every_record_metadata_and_vector_comes_back(
    store: Store, collection: str, open_source: Any
) -> None:
    source = open_source(store.path, collection)
    got = read_all(source, batch_size=53)
    assert_matches(store, collection, got)
    assert source.count() == len(store.expected(collection))
    assert source.lost_vectors == ()
    assert source.vector_problems == ()
    assert source.search("anything", 5) is None


def test_vectors_come_from_both_the_index_and_the_queue(store: Store, open_source: Any) -> None:
    source = open_source(store.path, "notes")
    pending = pending_vector_ids(store.path, "notes")
    assert source.index_folder is not None
    slots, _, _ = hnsw_slots(source.index_folder)
    want = store.expected("notes")
    from_index = set(want) - pending
    assert len(pending & set(want)) >= 5, "the store should hold unflushed writes"
    assert len(from_index) > 200 and from_index <= set(slots)
    # an update waiting in the queue overrides the vector the index still holds
    updated = mk.chroma_id("notes", 10)
    assert updated in pending and updated in slots
    got = read_all(source)
    np.testing.assert_allclose(got.records[updated].vector, want[updated][2], rtol=2e-6)


def test_cosine_vectors_are_scaled_back_to_their_length(store: Store, open_source: Any) -> None:
    got = read_all(open_source(store.path, "notes"))
    norms = [float(np.linalg.norm(r.vector)) for r in got.records.values() if r.vector is not None]
    assert max(norms) > 2  # not the unit vectors hnswlib keeps for the cosine space


def test_records_come_in_a_stable_order_and_resume_after_each_checkpoint(
    store: Store, open_source: Any
) -> None:
    source = open_source(store.path, "notes")
    order = source_order(store.path, "notes")
    assert len(order) == source.count() == len(set(order))
    full = read_all(source, batch_size=37)
    assert full.batches == [set(order[i : i + 37]) for i in range(0, len(order), 37)]
    assert read_all(source, batch_size=37).checkpoints == full.checkpoints
    for index, checkpoint in enumerate(full.checkpoints):
        rest = read_all(source, batch_size=37, resume=checkpoint)
        assert rest.batches == full.batches[index + 1 :], index
    with pytest.raises(InvalidInputError):
        read_all(source, resume="not-a-checkpoint")


def test_list_metadata_and_the_recorded_embedding_function_1x(
    store_1x: Store, open_source: Any
) -> None:
    source = open_source(store_1x.path, "tagged")
    got = read_all(source)
    assert store_1x.oracle is not None
    for key, (doc, meta) in TAGGED.items():
        assert got.records[key].content == doc
        assert got.records[key].metadata == (meta or {}) == store_1x.oracle["tagged"][key][1]
    assert "'default'" in (source.vector_note or "")
    assert "4-d" in (source.vector_note or "")


def test_name_note_and_collection_choice(store: Store, open_source: Any) -> None:
    names = sorted([*mk.COLLECTIONS, *(["tagged"] if store.version == "1.x" else [])])
    assert collection_names(store.path) == names
    source = open_source(store.path, "notes")
    assert source.name == f"chroma://{store.path.resolve()}/notes"
    note = source.vector_note or ""
    assert "16-d" in note and "cosine" in note and "not recorded" in note
    assert "l2 space" in (open_source(store.path, "metrics").vector_note or "")
    with pytest.raises(InvalidInputError) as several:
        ChromaSource(store.path)
    assert all(name in str(several.value) for name in names)
    with pytest.raises(InvalidInputError) as unknown:
        ChromaSource(store.path, "nope")
    assert "nope" in str(unknown.value) and "notes" in str(unknown.value)


def test_the_only_collection_is_chosen_without_a_name(tmp_path: Path, open_source: Any) -> None:
    path = tmp_path / "one"
    shutil.copytree(STORE_0_6, path)
    conn = apsw.Connection(str(path / "chroma.sqlite3"))  # a copy, made single-collection
    conn.execute("DELETE FROM collections WHERE name = 'metrics'")
    conn.close()
    assert open_source(path).name.endswith("/notes")


def test_created_at_only_from_a_metadata_key(store_0_6: Store, open_source: Any) -> None:
    got = read_all(open_source(store_0_6.path, "notes"))
    dated = {k for k, r in got.records.items() if r.created_at is not None}
    assert dated == {k for k, r in got.records.items() if "created_at" in r.metadata}
    assert got.records[mk.chroma_id("notes", 20)].created_at == "2024-01-21T08:30:00+00:00"
