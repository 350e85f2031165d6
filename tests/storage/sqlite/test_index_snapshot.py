"""The vector index snapshot: a new process starts from it, catches up, and distrusts it wisely."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import memvault
from memvault.core.records import MemoryDraft
from memvault.service.vault import Vault
from memvault.storage.sqlite import vector_index
from memvault.storage.sqlite.index_snapshot import load, save
from tests.storage.sqlite.conftest import IndexEvents

QUERIES = ["topic 7 alpha", "topic 123 beta", "gamma 42", "delta epsilon 999"]


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vector_index, "SNAPSHOT_MIN", 500)


def open_vault(db: Path) -> Vault:
    return memvault.open(db, embedder="hash:64", background=False)


def fill(db: Path, n: int = 800) -> None:
    with open_vault(db) as vault:
        words = ["alpha", "beta", "gamma", "delta", "epsilon"]
        vault.remember_many(
            [
                MemoryDraft(f"memory {i} topic {i} {words[i % 5]} {words[(i * 3) % 5]}")
                for i in range(n)
            ]
        )
        vault.wait_for_jobs()


def results(vault: Vault) -> list[list[str]]:
    return [[h.memory.id for h in vault.search(q, k=10, mode="vector")] for q in QUERIES]


def test_a_new_process_starts_from_the_snapshot_and_catches_up(
    tmp_path: Path, index_events: IndexEvents
) -> None:
    db = tmp_path / "v.db"
    fill(db)
    index_events.reset()
    with open_vault(db) as first:
        before = results(first)
        assert index_events.started_from() == "database"
    assert (tmp_path / "v.db.vindex").is_file()
    with open_vault(db) as writer:  # changes after the snapshot was written
        gone = [h.memory.id for h in writer.search("topic 7 alpha", k=3, mode="vector")]
        for memory_id in gone:
            writer.forget(memory_id)
        writer.remember("memory topic 7 alpha, added later")
        writer.wait_for_jobs()
    index_events.reset()
    with open_vault(db) as second:
        after = results(second)
        assert index_events.started_from() == "snapshot"
        assert index_events.catch_ups == 1  # the changes since, read from the log
        assert not set(gone) & {i for page in after for i in page}
    (tmp_path / "v.db.vindex").unlink()
    index_events.reset()
    with open_vault(db) as rebuilt:
        assert results(rebuilt) == after  # the caught-up snapshot is exactly the database's
        assert index_events.started_from() == "database"
    assert before != after


def test_a_torn_or_foreign_snapshot_is_ignored(tmp_path: Path, index_events: IndexEvents) -> None:
    db, other = tmp_path / "a.db", tmp_path / "b.db"
    fill(db)
    fill(other, 700)
    with open_vault(db) as vault:
        expected = results(vault)
    snapshot = tmp_path / "a.db.vindex"
    data = snapshot.read_bytes()
    snapshot.write_bytes(data[: len(data) // 2])
    index_events.reset()
    with open_vault(db) as vault:
        assert results(vault) == expected and index_events.started_from() == "database"
    shutil.copy(snapshot, tmp_path / "b.db.vindex")  # another vault's vectors at b's place
    index_events.reset()
    with open_vault(other) as vault:
        results(vault)
        assert index_events.started_from() == "database"


def test_a_reembed_makes_the_snapshot_stale(tmp_path: Path, index_events: IndexEvents) -> None:
    db = tmp_path / "v.db"
    fill(db)
    with open_vault(db) as vault:
        results(vault)
    index_events.reset()
    with memvault.open(db, embedder="hash:32", background=False) as vault:
        vault.reembed()
        assert len(vault.search("topic 7", k=3, mode="vector")) == 3
        assert index_events.started_from() == "database"


def test_save_and_load_round_trip_and_refuse_garbage(tmp_path: Path) -> None:
    path = tmp_path / "x.vindex"
    arrays: dict[str, npt.NDArray[Any]] = {
        "a": np.arange(10, dtype=np.int64),
        "b": np.ones((3, 5), dtype=np.float32),
    }
    save(path, {"seq": 4}, arrays)
    header, loaded = load(path)  # type: ignore[misc]
    assert header == {"seq": 4}
    assert np.array_equal(loaded["a"], arrays["a"]) and np.array_equal(loaded["b"], arrays["b"])
    loaded["a"][0] = 99  # copy-on-write: the file is not changed
    assert load(path)[1]["a"][0] == 0  # type: ignore[index]
    path.write_bytes(b"not a snapshot")
    assert load(path) is None
    assert load(tmp_path / "missing.vindex") is None
