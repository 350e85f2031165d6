"""SQL for the files the index was built from, note links, pending vault writes, index runs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import apsw

from memvault.core.file_records import (
    FileKind,
    FileRecord,
    FileState,
    IndexRun,
    LinkView,
    NoteLink,
    PendingWrite,
)
from memvault.core.records import Memory
from memvault.storage.sqlite.connection import Row

_FILE_COLUMNS = (
    "f.root, f.path, f.kind, f.record_id, f.content_hash, f.size, f.mtime_ns,"
    " f.namespace, f.title, f.tags, f.front_matter, f.created_at, f.updated_at"
)


def _state(row: Row) -> FileState:
    return FileState(row[0], row[1], FileKind(row[2]), row[3], row[4], row[5], row[6])


def _record(row: Row) -> FileRecord:
    return FileRecord(
        state=_state(row),
        namespace=row[7],
        title=row[8],
        tags=tuple(json.loads(row[9])),
        front_matter=json.loads(row[10]),
        created_at=row[11],
        updated_at=row[12],
    )


def states(
    conn: apsw.Connection, root: str, paths: Sequence[str] | None = None
) -> dict[str, FileState]:
    if paths is None:
        rows = conn.execute(f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.root = ?", (root,))
    else:
        rows = conn.execute(
            f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.root = ?"
            " AND f.path IN (SELECT value FROM json_each(?))",
            (root, json.dumps(list(paths))),
        )
    return {state.path: state for state in map(_state, rows)}


def get(conn: apsw.Connection, root: str, path: str) -> FileRecord | None:
    row = conn.execute(
        f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.root = ? AND f.path = ?", (root, path)
    ).fetchone()
    return None if row is None else _record(row)


def pk_of(conn: apsw.Connection, root: str, path: str) -> int | None:
    row = conn.execute("SELECT pk FROM files WHERE root = ? AND path = ?", (root, path)).fetchone()
    return None if row is None else int(row[0])


def by_record(conn: apsw.Connection, record_id: str, kind: FileKind) -> FileState | None:
    row = conn.execute(
        f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.record_id = ? AND f.kind = ?",
        (record_id, kind.value),
    ).fetchone()
    return None if row is None else _state(row)


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
    row = conn.execute(
        "INSERT INTO files(root, path, kind, record_id, namespace, title, tags, front_matter,"
        " content_hash, size, mtime_ns, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(root, path) DO UPDATE SET kind = excluded.kind,"
        " record_id = excluded.record_id, namespace = excluded.namespace,"
        " title = excluded.title, tags = excluded.tags, front_matter = excluded.front_matter,"
        " content_hash = excluded.content_hash, size = excluded.size,"
        " mtime_ns = excluded.mtime_ns, updated_at = excluded.updated_at"
        " RETURNING pk",
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
    ).fetchone()
    assert row is not None  # RETURNING yields the written row
    return int(row[0])


def upsert_memory_file(conn: apsw.Connection, memory: Memory, state: FileState) -> int:
    return upsert(
        conn,
        state,
        namespace=memory.namespace,
        tags=memory.tags,
        created_at=memory.created_at,
        updated_at=memory.updated_at,
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


_LINK_VIEW = """
    SELECT src.path, l.target, l.relation, l.line,
           (SELECT dst.path FROM note_keys k JOIN files dst ON dst.pk = k.file_pk
             WHERE k.key = l.target ORDER BY length(dst.path), dst.path LIMIT 1)
    FROM links l JOIN files src ON src.pk = l.file_pk
"""


def links_from(conn: apsw.Connection, file_pk: int) -> list[LinkView]:
    rows = conn.execute(f"{_LINK_VIEW} WHERE l.file_pk = ? ORDER BY l.line, l.target", (file_pk,))
    return [LinkView(*row) for row in rows]


def links_to(conn: apsw.Connection, file_pk: int) -> list[LinkView]:
    rows = conn.execute(
        f"{_LINK_VIEW} WHERE l.target IN (SELECT key FROM note_keys WHERE file_pk = ?)"
        " AND l.file_pk != ? ORDER BY src.path, l.line",
        (file_pk, file_pk),
    )
    return [LinkView(*row) for row in rows]


def list_records(
    conn: apsw.Connection,
    kind: FileKind,
    *,
    root: str,
    folder: str | None,
    tag: str | None,
    recent: bool,
    limit: int,
    offset: int,
) -> list[FileRecord]:
    clauses = ["f.kind = ?", "f.root = ?"]
    params: list[Any] = [kind.value, root]
    if folder:
        clauses.append("f.path LIKE ? ESCAPE '\\'")
        escaped = folder.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"{escaped}/%")
    if tag:
        clauses.append("EXISTS (SELECT 1 FROM json_each(f.tags) t WHERE t.value = ?)")
        params.append(tag)
    order = "f.updated_at DESC, f.path" if recent else "f.path"
    rows = conn.execute(
        f"SELECT {_FILE_COLUMNS} FROM files f WHERE {' AND '.join(clauses)}"
        f" ORDER BY {order} LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [_record(row) for row in rows]


def counts(conn: apsw.Connection) -> dict[str, int]:
    found = {kind.value: 0 for kind in FileKind}
    for kind, n in conn.execute("SELECT kind, count(*) FROM files GROUP BY kind"):
        found[kind] = n
    row = conn.execute("SELECT count(*) FROM links").fetchone()
    found["links"] = int(row[0]) if row else 0
    return found


# --- pending vault writes -----------------------------------------------------------------------
def mark_pending(conn: apsw.Connection, marks: Sequence[PendingWrite]) -> None:
    conn.executemany(
        "INSERT INTO vault_pending(path, action, record_id, owner) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(path) DO UPDATE SET action = excluded.action,"
        " record_id = excluded.record_id, owner = excluded.owner",
        [(m.path, m.action, m.record_id, m.owner) for m in marks],
    )


def clear_pending(conn: apsw.Connection, paths: Sequence[str], owner: str | None) -> None:
    """Remove marks; with ``owner`` only that owner's (another may have re-marked a path)."""
    conn.executemany(
        "DELETE FROM vault_pending WHERE path = ? AND (? IS NULL OR owner = ?)",
        [(path, owner, owner) for path in paths],
    )


def pending(conn: apsw.Connection) -> list[PendingWrite]:
    rows = conn.execute("SELECT path, action, record_id, owner FROM vault_pending ORDER BY path")
    return [PendingWrite(*row) for row in rows]


# --- index runs --------------------------------------------------------------------------------
_RUN_COLUMNS = (
    "id, root, namespace, state, owner, files_total, files_done, chunks, error,"
    " started_at, updated_at"
)


def start_run(
    conn: apsw.Connection, root: str, namespace: str, owner: str, total: int, at: str
) -> int:
    row = conn.execute(
        "INSERT INTO index_runs(root, namespace, state, owner, files_total, started_at,"
        " updated_at) VALUES (?, ?, 'running', ?, ?, ?, ?) RETURNING id",
        (root, namespace, owner, total, at, at),
    ).fetchone()
    assert row is not None
    return int(row[0])


def update_run(
    conn: apsw.Connection,
    run_id: int,
    *,
    files_done: int,
    chunks: int,
    at: str,
    state: str = "running",
    error: str | None = None,
) -> None:
    conn.execute(
        "UPDATE index_runs SET files_done = ?, chunks = ?, state = ?, error = ?, updated_at = ?"
        " WHERE id = ?",
        (files_done, chunks, state, error, at, run_id),
    )


def runs(conn: apsw.Connection, limit: int) -> list[IndexRun]:
    rows = conn.execute(f"SELECT {_RUN_COLUMNS} FROM index_runs ORDER BY id DESC LIMIT ?", (limit,))
    return [IndexRun(*row) for row in rows]
