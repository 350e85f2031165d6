"""The file role of the SQLite engine: the index kept in step with files.

Files of the Markdown folder (memory files and notes) and of ``memvault index`` runs, the links
written in notes, the marks of folder writes in progress (``vault_pending``), and index runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import apsw

from memvault.core.errors import MemvaultError
from memvault.core.file_records import (
    FOLDER_ROOT,
    FileKind,
    FileRecord,
    FileState,
    IndexRun,
    LinkView,
    NoteLink,
    PendingWrite,
)
from memvault.core.records import Memory, MemoryRecord
from memvault.core.times import now_iso
from memvault.storage.sqlite import file_rows, memory_rows, sessions, sync_rows
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.engine import SqliteEngine

_SELECT_FILES = f"SELECT {file_rows.FILE_COLUMNS} FROM files f"
_LINK_VIEW = """
    SELECT src.path, l.target, l.relation, l.line,
           (SELECT dst.path FROM note_keys k JOIN files dst ON dst.pk = k.file_pk
             WHERE k.key = l.target ORDER BY length(dst.path), dst.path LIMIT 1)
    FROM links l JOIN files src ON src.pk = l.file_pk
"""
_RUN_COLUMNS = (
    "id, root, namespace, state, owner, files_total, files_done, chunks, error,"
    " started_at, updated_at"
)


class SqliteFiles(SqliteEngine):
    # --- file states -----------------------------------------------------------------------
    def file_states(self, root: str, paths: Sequence[str] | None = None) -> dict[str, FileState]:
        def job(conn: apsw.Connection) -> dict[str, FileState]:
            if paths is None:
                rows = conn.execute(f"{_SELECT_FILES} WHERE f.root = ?", (root,))
            else:
                rows = conn.execute(
                    f"{_SELECT_FILES} WHERE f.root = ?"
                    " AND f.path IN (SELECT value FROM json_each(?))",
                    (root, json.dumps(list(paths))),
                )
            return {state.path: state for state in map(file_rows.state_of, rows)}

        return self._read(job)

    def get_file(self, root: str, path: str) -> FileRecord | None:
        return self._read(lambda conn: file_rows.get(conn, root, path))

    def file_of_memory(self, memory_id: str) -> FileState | None:
        row: Row | None = self._read(
            lambda conn: conn.execute(
                f"{_SELECT_FILES} WHERE f.record_id = ? AND f.kind = ?",
                (memory_id, FileKind.MEMORY.value),
            ).fetchone()
        )
        return None if row is None else file_rows.state_of(row)

    def set_file_states(self, states: Sequence[FileState]) -> None:
        def job(conn: apsw.Connection) -> None:
            for state in states:
                file_rows.set_disk_state(conn, state)

        self._write(job)

    def list_files(
        self,
        kind: FileKind,
        *,
        root: str,
        folder: str | None = None,
        tag: str | None = None,
        recent: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[FileRecord]:
        clauses = ["f.kind = ?", "f.root = ?"]
        params: list[Any] = [kind.value, root]
        if folder:
            clauses.append("f.path LIKE ? ESCAPE '\\'")
            escaped = (
                folder.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            )
            params.append(f"{escaped}/%")
        if tag:
            clauses.append("EXISTS (SELECT 1 FROM json_each(f.tags) t WHERE t.value = ?)")
            params.append(tag)
        order = "f.updated_at DESC, f.path" if recent else "f.path"
        where = " AND ".join(clauses)
        sql = f"{_SELECT_FILES} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        rows: list[Row] = self._read(
            lambda conn: conn.execute(sql, (*params, limit, offset)).fetchall()
        )
        return [file_rows.record_of(row) for row in rows]

    def file_counts(self) -> dict[str, int]:
        def job(conn: apsw.Connection) -> dict[str, int]:
            found = {kind.value: 0 for kind in FileKind}
            for kind, n in conn.execute("SELECT kind, count(*) FROM files GROUP BY kind"):
                found[kind] = n
            row = conn.execute("SELECT count(*) FROM links").fetchone()
            found["links"] = int(row[0]) if row else 0
            return found

        return self._read(job)

    # --- memory files -----------------------------------------------------------------------
    def put_memory_files(
        self, items: Sequence[tuple[Memory, FileState]], *, embed: bool
    ) -> dict[str, str]:
        """Make memories equal to their files (relations come after, by ``put_relations``)."""

        def job(conn: apsw.Connection) -> dict[str, str]:
            errors: dict[str, str] = {}
            for memory, state in items:
                try:
                    with conn:  # a savepoint: one bad file does not undo the others
                        sync_rows.put_memory(conn, memory, embed=embed, kinds=self.entity_kinds)
                        file_rows.upsert_memory_file(conn, memory, state)
                except MemvaultError as exc:
                    errors[state.path] = str(exc)
            return errors

        return self._write(job)

    def put_relations(
        self, records: Sequence[MemoryRecord], *, embed: bool = False
    ) -> dict[str, list[str]]:
        def job(conn: apsw.Connection) -> dict[str, list[str]]:
            warnings: dict[str, list[str]] = {}
            for record in records:
                found = sync_rows.put_relations(conn, record, embed=embed)
                if found:
                    warnings[record.memory.id] = found
            return warnings

        return self._write(job)

    def memories_without_file(self, limit: int) -> list[str]:
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                "SELECT m.id FROM memories m WHERE m.chunk_of IS NULL AND m.session_pk IS NULL"
                " AND NOT EXISTS"
                " (SELECT 1 FROM files f WHERE f.record_id = m.id AND f.kind = 'memory')"
                " ORDER BY m.pk LIMIT ?",
                (limit,),
            ).fetchall()
        )
        return [str(r[0]) for r in rows]

    # --- notes and documents ----------------------------------------------------------------
    def put_document(
        self,
        record: FileRecord,
        chunks: Sequence[Memory],
        *,
        links: Sequence[NoteLink] = (),
        keys: Sequence[str] = (),
        embed: bool,
    ) -> tuple[int, int]:
        def job(conn: apsw.Connection) -> tuple[int, int]:
            file_pk = file_rows.upsert(
                conn,
                record.state,
                namespace=record.namespace,
                title=record.title,
                tags=record.tags,
                front_matter=record.front_matter,
                created_at=record.created_at,
                updated_at=record.updated_at,
            )
            context = " ".join(filter(None, [record.title, record.state.path]))
            counts = sync_rows.replace_chunks(
                conn, file_pk, chunks, context, embed=embed, kinds=self.entity_kinds
            )
            file_rows.replace_links(conn, file_pk, links, keys)
            return counts

        return self._write(job)

    def delete_files(self, root: str, paths: Sequence[str]) -> int:
        def job(conn: apsw.Connection) -> int:
            removed = 0
            for path in paths:
                record = file_rows.get(conn, root, path)
                pk = file_rows.pk_of(conn, root, path)
                if record is None or pk is None:
                    continue
                if record.state.kind is FileKind.MEMORY:
                    memory_pk = memory_rows.pk_of(conn, record.state.record_id)
                    if memory_pk is not None:
                        memory_rows.delete(conn, memory_pk)
                elif record.state.kind is FileKind.SESSION:
                    sessions.delete_session_rows(conn, record.state.record_id)
                else:
                    sync_rows.delete_chunks(conn, pk)
                file_rows.delete(conn, pk)
                removed += 1
            return removed

        return self._write(job)

    def note_links(self, root: str, path: str) -> tuple[list[LinkView], list[LinkView]]:
        def job(conn: apsw.Connection) -> tuple[list[LinkView], list[LinkView]]:
            pk = file_rows.pk_of(conn, root, path)
            if pk is None:
                return [], []
            written = conn.execute(
                f"{_LINK_VIEW} WHERE l.file_pk = ? ORDER BY l.line, l.target", (pk,)
            )
            incoming = conn.execute(
                f"{_LINK_VIEW} WHERE l.target IN (SELECT key FROM note_keys WHERE file_pk = ?)"
                " AND l.file_pk != ? ORDER BY src.path, l.line",
                (pk, pk),
            )
            return [LinkView(*row) for row in written], [LinkView(*row) for row in incoming]

        return self._read(job)

    # --- folder writes in progress ----------------------------------------------------------
    def mark_pending(self, marks: Sequence[PendingWrite]) -> None:
        if marks:
            self._write(
                lambda conn: conn.executemany(
                    "INSERT INTO vault_pending(path, action, record_id, owner) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT(path) DO UPDATE SET action = excluded.action,"
                    " record_id = excluded.record_id, owner = excluded.owner",
                    [(m.path, m.action, m.record_id, m.owner) for m in marks],
                )
            )

    def finish_pending(
        self,
        paths: Sequence[str],
        *,
        owner: str | None,
        rendered: Sequence[FileRecord] = (),
        removed: Sequence[str] = (),
    ) -> None:
        def job(conn: apsw.Connection) -> None:
            for record in rendered:
                file_rows.upsert_record(conn, record)
            for path in removed:
                pk = file_rows.pk_of(conn, FOLDER_ROOT, path)
                if pk is not None:
                    file_rows.delete(conn, pk)
            file_rows.clear_pending(conn, paths, owner)

        if paths or rendered or removed:
            self._write(job)

    def pending_writes(self) -> list[PendingWrite]:
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                "SELECT path, action, record_id, owner FROM vault_pending ORDER BY path"
            ).fetchall()
        )
        return [PendingWrite(*row) for row in rows]

    # --- index runs -------------------------------------------------------------------------
    def start_index_run(self, root: str, namespace: str, owner: str, total: int) -> int:
        at = now_iso()

        def job(conn: apsw.Connection) -> int:
            conn.execute(  # not RETURNING: see storage/sqlite/memory_rows.py
                "INSERT INTO index_runs(root, namespace, state, owner, files_total, started_at,"
                " updated_at) VALUES (?, ?, 'running', ?, ?, ?, ?)",
                (root, namespace, owner, total, at, at),
            )
            return int(conn.last_insert_rowid())

        return self._write(job)

    def update_index_run(
        self,
        run_id: int,
        *,
        files_done: int,
        chunks: int,
        state: str = "running",
        error: str | None = None,
    ) -> None:
        self._write(
            lambda conn: conn.execute(
                "UPDATE index_runs SET files_done = ?, chunks = ?, state = ?, error = ?,"
                " updated_at = ? WHERE id = ?",
                (files_done, chunks, state, error, now_iso(), run_id),
            )
        )

    def index_runs(self, limit: int = 10) -> list[IndexRun]:
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM index_runs ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        )
        return [IndexRun(*row) for row in rows]
