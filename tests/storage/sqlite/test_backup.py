"""The SQLite engine's online backup and its database-file helpers, on real files and processes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from memvault.core.errors import ConflictError, StorageError
from memvault.storage import (
    database_file_problems,
    database_in_use,
    install_database,
    open_store,
)
from tests.storage.contract.helpers import insert


def test_a_backup_is_one_snapshot_while_another_instance_writes(tmp_path: Path) -> None:
    location = tmp_path / "live.db"
    store, writer = open_store(location), open_store(location)
    insert(store, *(f"seed {i}" for i in range(300)))
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            insert(writer, f"during {n}")
            n += 1

    thread = threading.Thread(target=write)
    thread.start()
    ticks: list[tuple[int, int]] = []
    during_pin: list[str] = []
    try:
        stats = store.backup(
            tmp_path / "copy.db",
            progress=lambda done, total: ticks.append((done, total)),
            pinned=lambda: during_pin.extend(insert(writer, "written while pinned")),
        )
    finally:
        stop.set()
        thread.join()
        writer.close()
        store.close()
    assert database_file_problems(tmp_path / "copy.db") == []
    copy = open_store(tmp_path / "copy.db")
    try:
        assert copy.stats().memories == stats.memories >= 300
        assert copy.get_memory(during_pin[0]) is None  # after the snapshot: not in the copy
        assert copy.check().ok
    finally:
        copy.close()
    assert ticks and ticks[-1][0] == ticks[-1][1]


def test_a_backup_never_overwrites(tmp_path: Path) -> None:
    store = open_store(tmp_path / "live.db")
    try:
        (tmp_path / "there.db").write_text("mine")
        with pytest.raises(StorageError, match="exists already"):
            store.backup(tmp_path / "there.db")
        assert (tmp_path / "there.db").read_text() == "mine"
    finally:
        store.close()


def test_in_use_sees_another_process_and_install_refuses_it(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    open_store(db).close()
    assert not database_in_use(db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from memvault.storage import open_store; s = open_store(sys.argv[1]); "
            "s.stats(); print('open', flush=True); sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert database_in_use(db)
        incoming = tmp_path / "incoming.db"
        open_store(incoming).close()
        with pytest.raises(ConflictError, match="open in another process"):
            install_database(incoming, db)
        assert incoming.exists()
    finally:
        holder.communicate("", timeout=30)
    assert not database_in_use(db)
    install_database(incoming, db)
    assert not incoming.exists() and database_file_problems(db) == []


def test_problems_names_a_damaged_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    assert database_file_problems(bad)
    assert database_file_problems(tmp_path / "missing.db")
