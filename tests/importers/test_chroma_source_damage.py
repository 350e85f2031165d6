"""The ChromaDB source on damaged stores: a broken HNSW index loses exactly the vectors it
held and no record, a missing length file still gives the directions, and a hostile pickle is
refused without running."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from memvault.importers.readers.chroma import ChromaSource
from tests.importers.chroma_stores import (
    Store,
    assert_matches,
    hnsw_slots,
    pending_vector_ids,
    read_all,
    source_order,
)

# -- damaged stores ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage", ["truncate_data", "delete_pickle", "delete_folder", "truncate_header"]
)
def test_a_damaged_index_loses_exactly_the_vectors_it_held(
    store: Store, damage: str, open_source: Any
) -> None:
    with ChromaSource(store.path, "notes") as intact:
        folder = intact.index_folder
    assert folder is not None
    slots, count, size = hnsw_slots(folder)
    pending = pending_vector_ids(store.path, "notes")
    want = set(store.expected("notes"))
    if damage == "truncate_data":
        keep = count // 2
        with (folder / "data_level0.bin").open("r+b") as handle:
            handle.truncate(keep * size + size // 2)  # half an element more: unreadable
        lost = {k for k, slot in slots.items() if slot >= keep} & want - pending
    elif damage == "delete_pickle":
        (folder / "index_metadata.pickle").unlink()
        lost = want - pending
    elif damage == "truncate_header":
        (folder / "header.bin").write_bytes((folder / "header.bin").read_bytes()[:50])
        lost = want - pending
    else:
        shutil.rmtree(folder)
        lost = want - pending
    assert 50 < len(lost) < len(want)

    source = open_source(store.path, "notes")
    got = read_all(source)
    assert_matches(store, "notes", got, lost)
    assert source.lost_vectors == tuple(k for k in source_order(store.path, "notes") if k in lost)
    assert source.vector_problems and all("\n" not in p for p in source.vector_problems)


def test_a_missing_length_file_gives_unit_vectors_in_the_same_direction(
    store: Store, open_source: Any
) -> None:
    with ChromaSource(store.path, "notes") as intact:
        folder = intact.index_folder
    assert folder is not None
    (folder / "length.bin").unlink()
    source = open_source(store.path, "notes")
    got = read_all(source)
    assert source.lost_vectors == ()
    assert any("length.bin" in p for p in source.vector_problems)
    pending = pending_vector_ids(store.path, "notes")
    want = store.expected("notes")
    for key, record in got.records.items():
        assert record.vector is not None
        expected = np.asarray(want[key][2], dtype=np.float32)
        if key not in pending:
            expected = expected / np.linalg.norm(expected)
        np.testing.assert_allclose(record.vector, expected, rtol=2e-6, atol=2e-6)


class _Boom:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("payload", ["os_system", "builtins_exec", "stand_in_with_args"])
def test_a_hostile_pickle_is_refused_not_run(
    store_0_6: Store, payload: str, tmp_path: Path, open_source: Any
) -> None:
    marker = tmp_path / "pwned"
    if payload == "os_system":
        data = pickle.dumps(_Boom(marker))
    elif payload == "builtins_exec":
        code = f"open({str(marker)!r}, 'w').close()"
        data = b"cbuiltins\nexec\n(" + pickle.dumps(code, protocol=0)[:-1] + b"tR."
    else:  # the one allowed name, called with arguments: still nothing runs
        module, name = "chromadb.segment.impl.vector.local_persistent_hnsw", "PersistentData"
        data = f"c{module}\n{name}\n(S'x'\ntR.".encode()
    with ChromaSource(store_0_6.path, "notes") as intact:
        folder = intact.index_folder
    assert folder is not None
    (folder / "index_metadata.pickle").write_bytes(data)
    source = open_source(store_0_6.path, "notes")
    got = read_all(source)
    assert not marker.exists()
    assert source.lost_vectors and len(got.records) + len(got.failures) == source.count()
    assert any("index_metadata.pickle" in p for p in source.vector_problems)
