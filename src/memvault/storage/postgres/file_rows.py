"""Rows of the files the index was built from, shared by the transactions of several roles
(PostgreSQL): the counterpart of the SQLite engine's ``file_rows.py``, function for function.

Tags and front matter are jsonb, so they come back as Python values with no parsing; a front
matter value JSON cannot hold (a date YAML parsed) is stored as its text, as in SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from memvault.core.file_records import FileKind, FileRecord, FileState, NoteLink
from memvault.core.records import Memory

Connection = psycopg.Connection[Any]

FILE_COLUMNS = (
    "f.root, f.path, f.kind, f.record_id, f.content_hash, f.size, f.mtime_ns,"
    " f.namespace, f.title, f.tags, f.front_matter, f.created_at, f.updated_at"
)
_DUMPS = partial(json.dumps, ensure_ascii=False, default=str)


def state_of(row: Sequence[Any]) -> FileState:
    return FileState(row[0], row[1], FileKind(row[2]), row[3], row[4], row[5], row[6])


def record_of(row: Sequence[Any]) -> FileRecord:
    return FileRecord(
        state=state_of(row),
        namespace=row[7],
        title=row[8],
        tags=tuple(row[9]),
        front_matter=dict(row[10]),
        created_at=row[11],
        updated_at=row[12],
    )


def get(conn: Connection, root: str, path: str) -> FileRecord | None:
    row = conn.execute(
        f"SELECT {FILE_COLUMNS} FROM files f WHERE f.root = %s AND f.path = %s", (root, path)
    ).fetchone()
    return None if row is None else record_of(row)


def pk_of(conn: Connection, root: str, path: str) -> int | None:
    row = conn.execute(
        "SELECT pk FROM files WHERE root = %s AND path = %s", (root, path)
    ).fetchone()
    return None if row is None else int(row[0])


_UPSERT = (
    "INSERT INTO files(root, path, kind, record_id, namespace, title, tags, front_matter,"
    " content_hash, size, mtime_ns, created_at, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT(root, path) DO UPDATE SET kind = excluded.kind,"
    " record_id = excluded.record_id, namespace = excluded.namespace,"
    " title = excluded.title, tags = excluded.tags, front_matter = excluded.front_matter,"
    " content_hash = excluded.content_hash, size = excluded.size,"
    " mtime_ns = excluded.mtime_ns, updated_at = excluded.updated_at"
    " RETURNING pk"
)


def upsert(
    conn: Connection,
    state: FileState,
    *,
    namespace: str,
    title: str | None = None,
    tags: Sequence[str] = (),
    front_matter: dict[str, Any] | None = None,
    created_at: str,
    updated_at: str,
) -> int:
    row = conn.execute(
        _UPSERT,
        (
            state.root,
            state.path,
            state.kind.value,
            state.record_id,
            namespace,
            title,
            Jsonb(list(tags)),
            Jsonb(front_matter or {}, dumps=_DUMPS),
            state.content_hash,
            state.size,
            state.mtime_ns,
            created_at,
            updated_at,
        ),
    ).fetchone()
    assert row is not None  # RETURNING yields the written row
    return int(row[0])


def upsert_memory_file(conn: Connection, memory: Memory, state: FileState) -> int:
    return upsert_record(conn, FileRecord.of_memory(memory, state))


def upsert_record(conn: Connection, record: FileRecord) -> int:
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


def set_disk_state(conn: Connection, state: FileState) -> None:
    """Record a file's size, time and hash when its meaning did not change (or was rendered)."""
    conn.execute(
        "UPDATE files SET content_hash = %s, size = %s, mtime_ns = %s"
        " WHERE root = %s AND path = %s",
        (state.content_hash, state.size, state.mtime_ns, state.root, state.path),
    )


def delete(conn: Connection, pk: int) -> None:
    """The file's row; its links and note keys go by cascade."""
    conn.execute("DELETE FROM files WHERE pk = %s", (pk,))


def replace_links(
    conn: Connection, file_pk: int, links: Sequence[NoteLink], keys: Sequence[str]
) -> None:
    conn.execute("DELETE FROM links WHERE file_pk = %s", (file_pk,))
    conn.execute("DELETE FROM note_keys WHERE file_pk = %s", (file_pk,))
    with conn.cursor() as cur:
        if links:
            cur.executemany(
                "INSERT INTO links(file_pk, target, relation, line) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                [(file_pk, link.target, link.relation, link.line) for link in links],
            )
        if keys:
            cur.executemany(
                "INSERT INTO note_keys(key, file_pk) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                [(key, file_pk) for key in keys],
            )


def clear_pending(conn: Connection, paths: Sequence[str], owner: str | None) -> None:
    """Remove marks; with ``owner`` only that owner's (another may have re-marked a path)."""
    if not paths:
        return
    if owner is None:
        conn.execute("DELETE FROM vault_pending WHERE path = ANY(%s)", (list(paths),))
    else:
        conn.execute(
            "DELETE FROM vault_pending WHERE path = ANY(%s) AND owner = %s", (list(paths), owner)
        )
