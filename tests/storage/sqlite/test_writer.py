"""The per-process writer: group commit, isolation of failing jobs, bounded WAL."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

import memvault
from memvault.core.errors import InvalidInputError
from memvault.core.records import MemoryDraft
from memvault.storage.sqlite import writer as writer_module


def test_many_threads_writing_at_once_all_land(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    with memvault.open(tmp_path / "v.db") as vault:

        def work(worker: int) -> None:
            try:
                for i in range(100):
                    vault.remember(f"thread {worker} memory {i}")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert vault.stats().memories == 800
        assert vault.check().ok


def test_a_failing_write_does_not_undo_writes_grouped_with_it(tmp_path: Path) -> None:
    results: dict[int, object] = {}
    with memvault.open(tmp_path / "v.db") as vault:

        def work(n: int) -> None:
            content = "   " if n % 5 == 0 else f"good {n}"
            try:
                results[n] = vault.remember_many([MemoryDraft(content)])[0].id
            except InvalidInputError as exc:
                results[n] = exc

        threads = [threading.Thread(target=work, args=(n,)) for n in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        failed = [n for n, r in results.items() if isinstance(r, InvalidInputError)]
        assert sorted(failed) == list(range(0, 50, 5))
        assert vault.stats().memories == 40


def test_wal_is_checkpointed_while_a_reader_keeps_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every commit rewrites index pages into the WAL (~130 KiB here). With a reader always
    # active SQLite's own checkpoint cannot reset the file: 300 commits grew it to ~11 MB when
    # measured. The writer's deliberate checkpoints keep it to a few commits' worth.
    monkeypatch.setattr(writer_module, "CHECKPOINT_EVERY_COMMITS", 10)
    path = tmp_path / "v.db"
    stop = threading.Event()
    with memvault.open(path) as vault:

        def read_constantly() -> None:
            while not stop.is_set():
                vault.search("memory")

        reader = threading.Thread(target=read_constantly)
        reader.start()
        try:
            largest = 0
            for batch in range(300):
                vault.remember_many(
                    [MemoryDraft(f"memory {batch}-{i} " + "padding " * 20) for i in range(5)]
                )
                largest = max(largest, os.path.getsize(f"{path}-wal"))
        finally:
            stop.set()
            reader.join()
        assert vault.stats().memories == 1500
    assert largest < 4 * 1024 * 1024
