"""``check`` must notice real damage, not just report ok; the file's own numbers and files.

Damage is made with raw SQL on the file, which is why these live with the SQLite engine; that
a healthy store checks ok and stats count what is there is the contract suite's.
"""

from __future__ import annotations

import os
from pathlib import Path

import apsw

import memvault
from memvault.core.records import MemoryDraft
from memvault.service.vault import Vault
from memvault.storage.sqlite.connection import open_connection
from memvault.storage.sqlite.store import SqliteStore
from tests.storage.sqlite.conftest import value, vault_over


def test_check_is_ok_on_a_healthy_vault(vault: Vault) -> None:
    vault.remember("healthy")
    report = vault.check()
    assert report.ok
    assert {c.name for c in report.checks} == {
        "vault",
        "sqlite_integrity",
        "foreign_keys",
        "fts_integrity",
        "keyword_index",
        "vectors",
        "vector_snapshot",
        "vector_model",
        "jobs",
        "schema_version",
    }


def test_check_finds_a_vector_without_a_memory(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    with memvault.open(path, background=False) as vault:
        vault.remember("has a vector")
        vault.wait_for_jobs()
        assert vault.check().ok
    conn = open_connection(path, reader=False)  # loads sqlite-vec, which the vec0 table needs
    blob = value(conn, "SELECT embedding FROM memory_vectors")
    conn.execute("INSERT INTO memory_vectors(rowid, embedding) VALUES (999, ?)", (blob,))
    conn.close()
    with memvault.open(path, background=False) as vault:
        report = vault.check()
        assert not report.ok
        (bad,) = [c for c in report.checks if not c.ok]
        assert bad.name == "vectors" and "1 vectors belong to no memory" in bad.detail


def test_check_counts_memories_left_without_vector_or_job(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    with memvault.open(path, background=False) as vault:
        vault.remember("embedded")
        vault.wait_for_jobs()
    with memvault.open(path, embedder="none") as vault:
        vault.remember("written while vectors were off")
        report = vault.check()
    assert report.ok  # not damage: vectors were turned off for a while
    (vectors,) = [c for c in report.checks if c.name == "vectors"]
    assert "1 memories have no vector and no job" in vectors.detail


def test_check_finds_a_memory_missing_from_the_keyword_index(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    with memvault.open(path) as vault:
        vault.remember("indexed")
        vault.remember("about to lose its index row")
    conn = apsw.Connection(str(path))
    conn.execute("DELETE FROM memories_fts WHERE rowid = 2")
    conn.close()
    with memvault.open(path) as vault:
        report = vault.check()
        assert not report.ok
        (bad,) = [c for c in report.checks if not c.ok]
        assert bad.name == "keyword_index" and "1 memories not indexed" in bad.detail


def test_check_finds_dangling_references(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    with memvault.open(path) as vault:
        a = vault.remember("a").id
        b = vault.remember("b").id
        vault.relate(a, b)
    conn = apsw.Connection(str(path))  # foreign keys are off on this raw connection
    conn.execute("DELETE FROM memories WHERE id = ?", (b,))
    conn.close()
    with memvault.open(path) as vault:
        failing = {c.name for c in vault.check().checks if not c.ok}
    assert "foreign_keys" in failing


def test_stats_measure_the_file_and_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    store = SqliteStore(path)
    try:
        vault_over(store, embedder="none").remember_many(
            [MemoryDraft(f"memory {n} " * 20) for n in range(50)]
        )
        stats = store.stats()  # with the store open, its writes are still in the WAL
        assert stats.wal_bytes == os.path.getsize(f"{path}-wal") > 0
        conn = apsw.Connection(str(path))
        try:
            pages, size = value(conn, "PRAGMA page_count"), value(conn, "PRAGMA page_size")
        finally:
            conn.close()
        assert stats.db_bytes == pages * size
    finally:
        store.close()


def test_local_files_are_the_database_and_its_companions(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    store = SqliteStore(path)
    try:
        assert store.location == str(path)
        assert store.local_files() == [
            path,
            Path(f"{path}-wal"),
            Path(f"{path}-shm"),
            Path(f"{path}.vindex"),
        ]
    finally:
        store.close()
