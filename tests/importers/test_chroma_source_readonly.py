"""The ChromaDB source never writes: a full read changes no byte, a leftover journal is rolled
back in a private copy; and what is not a Chroma store is refused with one clear error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import apsw
import pytest

from memvault.core.errors import InvalidInputError, StorageError
from memvault.importers.readers.chroma import ChromaSource
from tests.importers.chroma_stores import (
    Store,
    assert_matches,
    collection_names,
    mk,
    read_all,
    snapshot,
)

# -- never writing, and refusing what is not a store ---------------------------------------------


def test_a_full_read_changes_no_byte_and_adds_no_file(store: Store) -> None:
    before = snapshot(store.path)
    assert collection_names(store.path)
    for collection in mk.COLLECTIONS:
        with ChromaSource(store.path, collection) as source:
            read_all(source, batch_size=100)
            assert source.count() > 0 and source.lost_vectors == ()
            _ = source.vector_note, source.name
    assert snapshot(store.path) == before


def test_a_leftover_journal_is_rolled_back_in_a_private_copy(
    store_0_6: Store, open_source: Any
) -> None:
    """A writer that died mid-transaction leaves changed pages and a hot -journal: the reader
    must not see the half-written data, and must not roll it back in the user's directory."""
    db = store_0_6.path / "chroma.sqlite3"
    crash = (
        "import apsw, os, sys\n"
        "c = apsw.Connection(sys.argv[1])\n"
        "c.execute('PRAGMA cache_size = 1')\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "c.execute(\"UPDATE embedding_metadata SET string_value = 'HALF ' || string_value\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash, str(db)], check=True)
    assert (store_0_6.path / "chroma.sqlite3-journal").stat().st_size > 0
    assert b"HALF " in db.read_bytes(), "the crash should have spilled pages into the file"
    before = snapshot(store_0_6.path)
    got = read_all(open_source(store_0_6.path, "notes"))
    assert_matches(store_0_6, "notes", got)
    assert snapshot(store_0_6.path) == before


def _single_line(exc: BaseException) -> None:
    assert str(exc) and "\n" not in str(exc)


@pytest.mark.parametrize("case", ["missing", "empty", "not_chroma", "file_not_dir"])
def test_a_directory_that_is_not_a_chroma_store_is_refused(tmp_path: Path, case: str) -> None:
    path = tmp_path / "dir"
    if case != "missing":
        path.mkdir()
    if case == "not_chroma":
        conn = apsw.Connection(str(path / "chroma.sqlite3"))
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.close()
    if case == "file_not_dir":
        path.rmdir()
        path.write_text("hello")
    before = snapshot(tmp_path)
    with pytest.raises(InvalidInputError) as info:
        ChromaSource(path)
    _single_line(info.value)
    with pytest.raises(InvalidInputError):
        collection_names(path)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_database_file_is_one_clear_error(store_0_6: Store, damage: str) -> None:
    db = store_0_6.path / "chroma.sqlite3"
    data = db.read_bytes()
    db.write_bytes(b"not a database at all " * 500 if damage == "garbage" else data[: 16 * 4096])
    before = snapshot(store_0_6.path)
    with (
        pytest.raises((StorageError, InvalidInputError)) as info,
        ChromaSource(store_0_6.path, "notes") as source,
    ):
        read_all(source)
    _single_line(info.value)
    assert snapshot(store_0_6.path) == before
