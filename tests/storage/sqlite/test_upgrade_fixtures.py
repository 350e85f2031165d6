"""Every released schema version, upgraded to the current one with its data intact.

Each ``tests/fixtures/schema_vN.db`` was written by the memvault whose newest migration was N
(its generator, ``make_schema_vN.py``, says which commit). A test copies the fixture twice: one
copy is opened with today's code and upgraded, the other is read as it was, through a read-only
connection that cannot change it, so every row of every table the old version had is compared
with what the upgrade left. An upgrade first writes a copy of the file beside it
(``NAME.vN-<UTC time>.bak``); that copy must be the old version with all of its rows.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path
from typing import Any

import apsw
import pytest

import memvault
from memvault.storage import open_store
from memvault.storage.sqlite.connection import load_vector_extension
from memvault.storage.sqlite.migrations import LATEST_VERSION
from tests.storage.sqlite.conftest import reader, rows

FIXTURES = Path(__file__).parents[2] / "fixtures"
# The embedder each fixture's vectors were made with (a version-1 file has none).
EMBEDDERS = {1: "none", 2: "hash:16", 3: "hash:16", 4: "hash:384", 5: "hash:16", 6: "hash:16"}
Snapshot = dict[str, list[tuple[Any, ...]]]


def test_every_released_version_has_a_fixture() -> None:
    """Every version before the newest has its file (the newest may have one already: it
    becomes a released version when the next migration lands)."""
    made = sorted(int(p.stem.removeprefix("schema_v")) for p in FIXTURES.glob("schema_v*.db"))
    assert made[: LATEST_VERSION - 1] == list(range(1, LATEST_VERSION)), "a version has no file"
    assert made[-1] <= LATEST_VERSION
    assert sorted(EMBEDDERS) == made
    for version in made:
        assert (FIXTURES / f"make_schema_v{version}.py").exists(), version


VERSIONS = sorted(EMBEDDERS)
OLDER = [v for v in VERSIONS if v < LATEST_VERSION]  # the ones an upgrade migrates


def read_only(path: Path) -> apsw.Connection:
    """A connection that cannot write (``immutable``: not even the ``-shm`` of a WAL file),
    with sqlite-vec loaded to read the vectors' table."""
    conn = apsw.Connection(
        f"file:{path}?mode=ro&immutable=1", flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI
    )
    load_vector_extension(conn)
    return conn


def own_tables(conn: apsw.Connection) -> dict[str, list[str]]:
    """The tables a file holds with the columns it gave them: SQLite's own tables and the shadow
    tables of virtual ones are left out (their content is what the virtual table answers)."""
    virtual = [
        str(r[0])
        for r in conn.execute("SELECT name FROM sqlite_schema WHERE sql LIKE 'CREATE VIRTUAL%'")
    ]
    tables: dict[str, list[str]] = {}
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ):
        if any(name.startswith(f"{v}_") for v in virtual):
            continue
        columns = [str(r[1]) for r in conn.execute(f"PRAGMA table_xinfo({name})") if not r[6]]
        if name == "memories_fts":  # contentless: only its rowids can be read back
            columns = []
        if name in virtual and name != "memories_fts_vocab":
            columns = ["rowid", *columns]
        tables[name] = columns or ["rowid"]
    return tables


def snapshot(conn: apsw.Connection, tables: dict[str, list[str]]) -> Snapshot:
    """Every row of ``tables`` (as those columns), in a stable order."""
    taken: Snapshot = {}
    for table, columns in tables.items():
        order = ", ".join(str(i + 1) for i in range(len(columns)))
        taken[table] = rows(conn, f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
    return taken


def schema(path: Path) -> list[tuple[Any, ...]]:
    conn = reader(path)
    try:
        return rows(
            conn,
            "SELECT type, name, tbl_name, sql FROM sqlite_schema"
            " WHERE name NOT LIKE 'memory_vectors%' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY type, name",
        )
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def as_it_was(version: int, tmp_path: Path) -> tuple[dict[str, list[str]], Snapshot]:
    """The fixture's tables and rows, read from an untouched copy of it."""
    copy = tmp_path / f"as_it_was_v{version}.db"
    shutil.copy(FIXTURES / f"schema_v{version}.db", copy)
    conn = read_only(copy)
    try:
        assert rows(conn, "SELECT max(version) FROM schema_migrations") == [(version,)]
        tables = own_tables(conn)
        return tables, snapshot(conn, tables)
    finally:
        conn.close()


def upgrade(version: int, tmp_path: Path) -> Path:
    fixture = FIXTURES / f"schema_v{version}.db"
    before = digest(fixture)
    copy = tmp_path / "memvault.db"
    shutil.copy(fixture, copy)
    with memvault.open(copy, embedder=EMBEDDERS[version], background=False) as vault:
        assert vault.stats().schema_version == LATEST_VERSION
    assert digest(fixture) == before
    assert not any(Path(f"{fixture}{s}").exists() for s in ("-wal", "-shm", ".vindex"))
    return copy


@pytest.mark.parametrize("version", VERSIONS)
def test_every_row_of_an_old_version_survives_the_upgrade(version: int, tmp_path: Path) -> None:
    tables, kept = as_it_was(version, tmp_path)
    assert len(kept["memories"]) >= 4 and kept["edges"] and kept["validation_events"]
    assert all(kept[t] for t in ("jobs", "vector_log", "memory_vectors") if version >= 2)
    assert all(kept[t] for t in ("files", "index_runs") if version >= 3)
    # schema_v4.db has no notes; the rebuild of `files` with links is in test_upgrade_v4.py
    assert all(kept[t] for t in ("note_keys", "links") if version in (3, 5))
    assert all(kept[t] for t in ("import_links", "import_runs") if version >= 4)
    assert all(kept[t] for t in ("sessions", "messages", "handoffs", "costs") if version >= 5)
    upgraded = upgrade(version, tmp_path)

    conn = reader(upgraded)
    try:
        after = snapshot(conn, tables)
        for table, before in kept.items():
            if table == "schema_migrations":
                assert after[table][:version] == before
                assert [r[0] for r in after[table]] == list(range(1, LATEST_VERSION + 1))
            else:
                assert after[table] == before, table
    finally:
        conn.close()
    assert schema(upgraded) == schema(_fresh(tmp_path))
    store = open_store(upgraded)
    try:
        report = store.check()
        assert report.ok, report.to_dict()
    finally:
        store.close()


def _fresh(tmp_path: Path) -> Path:
    fresh = tmp_path / "fresh.db"
    open_store(fresh).close()
    return fresh


@pytest.mark.parametrize("version", VERSIONS)
def test_an_upgraded_vault_takes_writes_and_finds_them(version: int, tmp_path: Path) -> None:
    upgraded = upgrade(version, tmp_path)
    with memvault.open(upgraded, embedder=EMBEDDERS[version], background=False) as vault:
        (old,) = vault.search("parseConfig", mode="keyword")
        assert old.memory.content == "parse_config reads src/app/parse_config.py"
        assert old.memory.tags[0] == "code"
        new = vault.remember("written after the upgrade to the latest schema", tags=["after"])
        vault.wait_for_jobs()
        assert [h.memory.id for h in vault.search("upgrade latest schema", k=1)] == [new.id]
        report = vault.check()
        assert report.ok, report.to_dict()


@pytest.mark.parametrize("version", OLDER)
def test_an_upgrade_first_copies_the_old_file_beside_it(
    version: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tables, kept = as_it_was(version, tmp_path)
    with caplog.at_level(logging.WARNING, logger="memvault"):
        upgraded = upgrade(version, tmp_path)
    (copy,) = tmp_path.glob("memvault.db.v*.bak")
    assert copy.name.startswith(f"memvault.db.v{version}-") and copy.name.endswith("Z.bak")
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert str(copy) in line and str(upgraded) in line
    assert not any(Path(f"{copy}{s}").exists() for s in ("-wal", "-shm", "-journal"))
    conn = read_only(copy)
    try:
        assert rows(conn, "PRAGMA journal_mode") == [("delete",)]
        assert snapshot(conn, tables) == kept
        assert rows(conn, "PRAGMA integrity_check") == [("ok",)]
    finally:
        conn.close()
    # Opened again, the file is current: no second copy.
    with memvault.open(upgraded, embedder=EMBEDDERS[version], background=False):
        pass
    assert list(tmp_path.glob("memvault.db.v*.bak")) == [copy]


def test_a_new_file_is_not_copied(tmp_path: Path) -> None:
    with memvault.open(tmp_path / "memvault.db", embedder="none") as vault:
        vault.remember("a first memory")
    with memvault.open(tmp_path / "memvault.db", embedder="none") as vault:
        assert vault.stats().memories == 1
    assert list(tmp_path.glob("*.bak")) == []
