"""Upgrading a version-4 file (the last schema before sessions) to the latest version.

The committed ``schema_v4.db`` (made by ``tests/fixtures/make_schema_v4.py``) is copied twice:
one copy is opened and upgraded, the other is read as it was with a read-only connection, so
every row the file held can be compared with what the upgrade left. Version 5 rebuilds ``files``
(and ``note_keys`` and ``links``, which point at it); the fixture has no note links, so a second
version-4 file is built here from the first four migrations, with notes and links in it.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import numpy as np
import pytest

import memvault
from memvault.core.file_records import FOLDER_ROOT, NoteLink
from memvault.core.records import MemoryFilter
from memvault.storage import open_store
from memvault.storage.roles import Store
from memvault.storage.sqlite.connection import load_vector_extension
from memvault.storage.sqlite.migrations import LATEST_VERSION, available_migrations
from tests.storage.contract.helpers import EVERYTHING, HASH, embed_pending, file_record
from tests.storage.contract.session_helpers import MESSAGES, WITH_MESSAGES, found, say, start
from tests.storage.sqlite.conftest import reader, rows

FIXTURE = Path(__file__).parents[2] / "fixtures" / "schema_v4.db"
V4 = 4
EMBEDDER = "hash:384"  # what make_schema_v4.py embedded with: model id "hash-384"
# The tables of version 4 whose rows an upgrade must keep as they were, with their row order.
KEPT = {
    "memories": "pk",
    "memory_tags": "memory_pk, tag",
    "edges": "pk",
    "validation_events": "pk",
    "files": "pk",
    "note_keys": "key, file_pk",
    "links": "file_pk, target, relation",
    "import_links": "source, source_id",
    "import_runs": "source",
    "index_runs": "id",
    "jobs": "id",
    "vector_config": "1",
    "vector_log": "seq",
    "memories_fts": "rowid",
    "memory_vectors": "rowid",
}
VIRTUAL = ("memories_fts", "memory_vectors")  # keyed by rowid, not by a column of their own
Snapshot = dict[str, list[tuple[Any, ...]]]


def read_only(path: Path) -> apsw.Connection:
    """A connection that cannot write, with sqlite-vec loaded (to read the vectors' table).

    ``immutable``: the file is in WAL mode, and even a read-only connection would otherwise
    make ``-wal`` and ``-shm`` files beside it; a copy of the fixture has no WAL to read.
    """
    conn = apsw.Connection(
        f"file:{path}?mode=ro&immutable=1", flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI
    )
    load_vector_extension(conn)
    return conn


def columns(conn: apsw.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f"PRAGMA table_xinfo({table})") if not r[6]]


def snapshot(conn: apsw.Connection, shape: dict[str, list[str]]) -> Snapshot:
    """The rows of every kept table, as version 4 had its columns (``shape``)."""
    taken: Snapshot = {}
    for table, order in KEPT.items():
        names = ", ".join(["rowid", *shape[table]] if table in VIRTUAL else shape[table])
        taken[table] = rows(conn, f"SELECT {names} FROM {table} ORDER BY {order}")
    return taken


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def fixture_unchanged() -> Iterator[None]:
    before = digest(FIXTURE)
    yield
    assert digest(FIXTURE) == before
    assert not any(Path(f"{FIXTURE}{s}").exists() for s in ("-wal", "-shm", ".vindex"))


@pytest.fixture
def before(tmp_path: Path) -> Iterator[tuple[dict[str, list[str]], Snapshot]]:
    """The fixture's columns and rows, read from a copy of its own that is never opened."""
    copy = tmp_path / "as_it_was.db"
    shutil.copy(FIXTURE, copy)
    conn = read_only(copy)
    try:
        version = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        assert version == (V4,)
        shape = {table: columns(conn, table) for table in KEPT}
        shape["memory_vectors"] = ["embedding"]
        yield shape, snapshot(conn, shape)
    finally:
        conn.close()


@pytest.fixture
def upgraded(tmp_path: Path, fixture_unchanged: None) -> Path:
    copy = tmp_path / "upgraded.db"
    shutil.copy(FIXTURE, copy)
    with memvault.open(copy, embedder=EMBEDDER, background=False) as vault:
        assert vault.stats().schema_version == LATEST_VERSION
    return copy


@pytest.fixture
def store(upgraded: Path) -> Iterator[Store]:
    opened = open_store(upgraded)
    yield opened
    opened.close()


def test_every_row_of_version_4_survives_the_upgrade(
    upgraded: Path, before: tuple[dict[str, list[str]], Snapshot]
) -> None:
    shape, rows_before = before
    assert len(rows_before["memories"]) == 6 and len(rows_before["memory_vectors"]) == 6
    assert all(rows_before[t] for t in ("edges", "validation_events", "files", "import_links"))
    conn = reader(upgraded)
    try:
        after = snapshot(conn, shape)
        for table, kept in rows_before.items():
            assert after[table] == kept, table
        assert rows(conn, "SELECT version FROM schema_migrations ORDER BY 1") == [
            (v,) for v in range(1, LATEST_VERSION + 1)
        ]
        assert rows(conn, "SELECT count(*) FROM memories WHERE session_pk IS NOT NULL") == [(0,)]
    finally:
        conn.close()


def test_the_upgraded_schema_is_the_one_a_new_file_gets(upgraded: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    open_store(fresh).close()

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

    assert schema(upgraded) == schema(fresh)


def test_upgraded_records_read_back_through_the_store(
    store: Store, before: tuple[dict[str, list[str]], Snapshot]
) -> None:
    shape, rows_before = before
    ids = [str(r[shape["memories"].index("id")]) for r in rows_before["memories"]]
    memories = store.memories_by_id(ids)
    assert set(memories) == set(ids)
    assert all(m.session_id is None for m in memories.values())
    by_content = {m.content: m for m in memories.values()}
    old = by_content["Old deploy steps used make deploy"]
    new = by_content["Deploy with make release since v2.3.1"]
    assert old.superseded_by == new.id and old.valid_to is not None
    decision = by_content["We chose SQLite in WAL mode"]
    code = by_content["parse_config reads src/app/parse_config.py"]
    assert code.tags == ("code",)
    (edge,) = store.memory_records([code.id])[code.id].relations
    assert (edge.target_id, edge.relation) == (decision.id, "relates_to")
    (event,) = store.validation_history(decision.id)
    assert (event.actor, event.confidence_after) == ("fixture", decision.confidence)
    piece = by_content["# Guide\n\nRetries back off exponentially."]
    assert piece.location is not None and piece.location.path.endswith("/docs/guide.md")
    (source,) = {str(r[0]) for r in rows_before["import_links"]}
    link = store.import_links(source, ["r1"])["r1"]
    assert link.memory_id == by_content["Imported: ops rotate keys"].id
    config = store.vector_config()
    assert config is not None and (config.model_id, config.dimensions) == ("hash-384", 384)
    vectors = store.vectors_of(ids)
    expected = HASH.embed_documents([memories[i].content for i in ids])
    assert np.array_equal(np.stack([vectors[i] for i in ids]), expected)
    assert store.check().ok
    assert store.stats().schema_version == LATEST_VERSION


def test_an_upgraded_vault_searches_and_checks(upgraded: Path) -> None:
    with memvault.open(upgraded, embedder=EMBEDDER, background=False) as vault:
        (hit,) = vault.search("parseConfig", mode="keyword")
        assert hit.memory.content == "parse_config reads src/app/parse_config.py"
        assert [h.memory.content for h in vault.search("retries", mode="keyword")] == [
            "# Guide\n\nRetries back off exponentially."
        ]
        nearest = vault.search("we chose sqlite", mode="vector", k=1)
        assert nearest[0].memory.content == "We chose SQLite in WAL mode"
        assert vault.search("deploy release", k=1)[0].memory.content.startswith("Deploy with")
        assert vault.jobs().pending == 0  # nothing to re-embed
        report = vault.check()
        assert report.ok, report.to_dict()


def test_an_upgraded_file_takes_sessions_and_messages(store: Store) -> None:
    opened, talk = start(store, project="team")
    (said,) = say(store, talk, "rotate the deploy keys on monday", namespace="team", embed=True)
    assert embed_pending(store) == 1
    assert found(store, "deploy") == {said.id}
    assert said.id in found(store, "deploy", WITH_MESSAGES)
    assert said.id not in found(store, "deploy", EVERYTHING)
    near = store.vector_search(HASH.embed_query("rotate keys"), MESSAGES, limit=5)
    assert [i for i, _ in near] == [said.id]
    assert store.messages(opened.id) == [said]
    report = store.check()
    assert report.ok, report.to_dict()


# --- note links through the rebuild of `files` ------------------------------------------------
def version_4_file(path: Path) -> None:
    """A file at version 4 exactly as the first four migrations make it."""
    conn = apsw.Connection(str(path))
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
            " description TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT"
        )
        for migration in available_migrations()[:V4]:
            with conn:
                conn.execute(migration.sql)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01T00:00:00.000000Z')",
                    (migration.version, migration.description),
                )
    finally:
        conn.close()


def test_note_links_survive_the_rebuild_of_files(tmp_path: Path) -> None:
    # Notes with keys and links are written by the current engine; their rows are then copied
    # into a version-4 file, whose tables `files`, `note_keys` and `links` have the same columns.
    written = tmp_path / "written.db"
    with_notes = open_store(written)
    try:
        source, target = file_record("src.md", title="Source"), file_record("deep/target.md")
        links = [NoteLink("target", "relates_to", 3), NoteLink("missing", "relates_to", 7)]
        with_notes.put_document(source, [], links=links, keys=["src", "source"], embed=False)
        with_notes.put_document(target, [], keys=["target", "deep/target"], embed=False)
        expected = {p: with_notes.note_links(FOLDER_ROOT, p) for p in ("src.md", "deep/target.md")}
        assert expected["src.md"][0][0].resolved_path == "deep/target.md"
    finally:
        with_notes.close()
    old = tmp_path / "v4.db"
    version_4_file(old)
    source_conn, old_conn = reader(written), apsw.Connection(str(old))
    try:
        old_conn.execute("PRAGMA foreign_keys=ON")
        with old_conn:
            for table in ("files", "note_keys", "links"):
                found_rows = rows(source_conn, f"SELECT * FROM {table}")
                marks = ", ".join("?" * len(found_rows[0]))
                old_conn.executemany(f"INSERT INTO {table} VALUES ({marks})", found_rows)
    finally:
        source_conn.close()
        old_conn.close()

    upgraded = open_store(old)
    try:
        assert upgraded.stats().schema_version == LATEST_VERSION
        for path, links_of in expected.items():
            assert upgraded.note_links(FOLDER_ROOT, path) == links_of, path
        assert upgraded.get_file(FOLDER_ROOT, "src.md") == source
        assert upgraded.file_counts()["links"] == 2
        assert upgraded.check().ok
        # The rebuilt tables still point at `files`: a link that resolves later, and a delete
        # that takes a note's keys and links with it.
        upgraded.put_document(file_record("missing.md"), [], keys=["missing"], embed=False)
        written_links, _ = upgraded.note_links(FOLDER_ROOT, "src.md")
        assert [link.resolved_path for link in written_links] == ["deep/target.md", "missing.md"]
        assert upgraded.delete_files(FOLDER_ROOT, ["src.md"]) == 1
        assert upgraded.file_counts()["links"] == 0
        assert upgraded.note_links(FOLDER_ROOT, "deep/target.md") == ([], [])
        assert upgraded.check().ok
        assert upgraded.list_memories(MemoryFilter(), limit=5) == []
    finally:
        upgraded.close()
