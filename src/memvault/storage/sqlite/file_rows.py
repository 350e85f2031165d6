"""Rows of the files the index was built from, shared by the transactions of several roles."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import apsw

from memvault.core.file_records import (
    FileKind,
    FileRecord,
    FileState,
    NoteLink,
)
from memvault.core.records import Memory
from memvault.storage.sqlite.connection import Row

FILE_COLUMNS = (
    "f.root, f.path, f.kind, f.record_id, f.content_hash, f.size, f.mtime_ns,"
    " f.namespace, f.title, f.tags, f.front_matter, f.created_at, f.updated_at"
)


def state_of(row: Row) -> FileState:
    return FileState(row[0], row[1], FileKind(row[2]), row[3], row[4], row[5], row[6])


def record_of(row: Row) -> FileRecord:
    return FileRecord(
        state=state_of(row),
        namespace=row[7],
        title=row[8],
        tags=tuple(json.loads(row[9])),
        front_matter=json.loads(row[10]),
        created_at=row[11],
        updated_at=row[12],
    )


def get(conn: apsw.Connection, root: str, path: str) -> FileRecord | None:
    row = conn.execute(
        f"SELECT {FILE_COLUMNS} FROM files f WHERE f.root = ? AND f.path = ?", (root, path)
    ).fetchone()
    return None if row is None else record_of(row)


def pk_of(conn: apsw.Connection, root: str, path: str) -> int | None:
    row = conn.execute("SELECT pk FROM files WHERE root = ? AND path = ?", (root, path)).fetchone()
    return None if row is None else int(row[0])


def upsert(
    conn: apsw.Connection,
    state: FileState,
    *,
    namespace: str,
    title: str | None = None,
    tags: Sequence[str] = (),
    front_matter: dict[str, Any] | None = None,
    created_at: str,
    updated_at: str,
) -> int:
    conn.execute(
        "INSERT INTO files(root, path, kind, record_id, namespace, title, tags, front_matter,"
        " content_hash, size, mtime_ns, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(root, path) DO UPDATE SET kind = excluded.kind,"
        " record_id = excluded.record_id, namespace = excluded.namespace,"
        " title = excluded.title, tags = excluded.tags, front_matter = excluded.front_matter,"
        " content_hash = excluded.content_hash, size = excluded.size,"
        " mtime_ns = excluded.mtime_ns, updated_at = excluded.updated_at",
        (
            state.root,
            state.path,
            state.kind.value,
            state.record_id,
            namespace,
            title,
            json.dumps(list(tags), ensure_ascii=False),
            json.dumps(front_matter or {}, ensure_ascii=False, sort_keys=True, default=str),
            state.content_hash,
            state.size,
            state.mtime_ns,
            created_at,
            updated_at,
        ),
    )
    # Read back, not RETURNING: in the writer's savepoint that costs in proportion to the
    # database's size (storage/sqlite/memory_rows.py).
    row = conn.execute(
        "SELECT pk FROM files WHERE root = ? AND path = ?", (state.root, state.path)
    ).fetchone()
    assert row is not None  # written just now
    return int(row[0])


def upsert_memory_file(conn: apsw.Connection, memory: Memory, state: FileState) -> int:
    return upsert_record(conn, FileRecord.of_memory(memory, state))


def upsert_record(conn: apsw.Connection, record: FileRecord) -> int:
    return upsert(
        conn,
        record.state,
        namespace=record.namespace,
        title=record.title,
        tags=record.tags,
        front_matter=record.front_matter,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def set_disk_state(conn: apsw.Connection, state: FileState) -> None:
    """Record a file's size, time and hash when its meaning did not change (or was rendered)."""
    conn.execute(
        "UPDATE files SET content_hash = ?, size = ?, mtime_ns = ? WHERE root = ? AND path = ?",
        (state.content_hash, state.size, state.mtime_ns, state.root, state.path),
    )


def delete(conn: apsw.Connection, pk: int) -> None:
    conn.execute("DELETE FROM files WHERE pk = ?", (pk,))


def replace_links(
    conn: apsw.Connection, file_pk: int, links: Sequence[NoteLink], keys: Sequence[str]
) -> None:
    conn.execute("DELETE FROM links WHERE file_pk = ?", (file_pk,))
    conn.executemany(
        "INSERT OR IGNORE INTO links(file_pk, target, relation, line) VALUES (?, ?, ?, ?)",
        [(file_pk, link.target, link.relation, link.line) for link in links],
    )
    conn.execute("DELETE FROM note_keys WHERE file_pk = ?", (file_pk,))
    conn.executemany(
        "INSERT OR IGNORE INTO note_keys(key, file_pk) VALUES (?, ?)",
        [(key, file_pk) for key in keys],
    )


def clear_pending(conn: apsw.Connection, paths: Sequence[str], owner: str | None) -> None:
    """Remove marks; with ``owner`` only that owner's (another may have re-marked a path)."""
    conn.executemany(
        "DELETE FROM vault_pending WHERE path = ? AND (? IS NULL OR owner = ?)",
        [(path, owner, owner) for path in paths],
    )
