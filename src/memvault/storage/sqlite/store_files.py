"""The part of ``SqliteStore`` that keeps the index in step with files (vault and ingested).

A mixin only to keep ``store.py`` readable: it relies on the store's ``_read`` / ``_write``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import apsw

from memvault.core.errors import MemvaultError
from memvault.core.file_records import (
    VAULT_ROOT,
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
from memvault.storage.sqlite import file_rows, vault_rows

T = TypeVar("T")


class VaultFilesMixin:
    if TYPE_CHECKING:

        def _read(self, job: Callable[[apsw.Connection], T]) -> T: ...

        def _write(self, job: Callable[[apsw.Connection], T]) -> T: ...

    # --- file states -----------------------------------------------------------------------
    def file_states(self, root: str, paths: Sequence[str] | None = None) -> dict[str, FileState]:
        return self._read(lambda conn: file_rows.states(conn, root, paths))

    def get_file(self, root: str, path: str) -> FileRecord | None:
        return self._read(lambda conn: file_rows.get(conn, root, path))

    def file_of_memory(self, memory_id: str) -> FileState | None:
        return self._read(lambda conn: file_rows.by_record(conn, memory_id, FileKind.MEMORY))

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
        return self._read(
            lambda conn: file_rows.list_records(
                conn,
                kind,
                root=root,
                folder=folder,
                tag=tag,
                recent=recent,
                limit=limit,
                offset=offset,
            )
        )

    def file_counts(self) -> dict[str, int]:
        return self._read(file_rows.counts)

    # --- memory files -----------------------------------------------------------------------
    def put_memory_files(
        self, items: Sequence[tuple[Memory, FileState]], *, embed: bool
    ) -> dict[str, str]:
        """Make memories equal to their files (relations come after, by ``put_relations``).

        Returns ``{path: error}`` for files that could not be applied; the others are.
        """

        def job(conn: apsw.Connection) -> dict[str, str]:
            errors: dict[str, str] = {}
            for memory, state in items:
                try:
                    with conn:  # a savepoint: one bad file does not undo the others
                        vault_rows.put_memory(conn, memory, embed=embed)
                        file_rows.upsert_memory_file(conn, memory, state)
                except MemvaultError as exc:
                    errors[state.path] = str(exc)
            return errors

        return self._write(job)

    def put_relations(self, records: Sequence[MemoryRecord]) -> dict[str, list[str]]:
        """Edges, validations and supersession from memory files; warnings by memory id."""

        def job(conn: apsw.Connection) -> dict[str, list[str]]:
            warnings: dict[str, list[str]] = {}
            for record in records:
                found = vault_rows.put_relations(conn, record)
                if found:
                    warnings[record.memory.id] = found
            return warnings

        return self._write(job)

    def memory_records(self, ids: Sequence[str]) -> dict[str, MemoryRecord]:
        def job(conn: apsw.Connection) -> dict[str, MemoryRecord]:
            found = {}
            for memory_id in ids:
                record = vault_rows.record_of(conn, memory_id)
                if record is not None:
                    found[memory_id] = record
            return found

        return self._read(job)

    def edge_sources(self, memory_id: str) -> list[str]:
        return self._read(lambda conn: vault_rows.edge_sources(conn, memory_id))

    def memories_without_file(self, limit: int) -> list[str]:
        return self._read(
            lambda conn: [
                str(r[0])
                for r in conn.execute(
                    "SELECT m.id FROM memories m WHERE m.chunk_of IS NULL AND NOT EXISTS"
                    " (SELECT 1 FROM files f WHERE f.record_id = m.id AND f.kind = 'memory')"
                    " ORDER BY m.pk LIMIT ?",
                    (limit,),
                )
            ]
        )

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
        """Index a note or document with its chunks (kept by id) and links; (added, removed)."""

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
            counts = vault_rows.replace_chunks(conn, file_pk, chunks, context, embed=embed)
            file_rows.replace_links(conn, file_pk, links, keys)
            return counts

        return self._write(job)

    def delete_files(self, root: str, paths: Sequence[str]) -> int:
        """Forget files and everything made from them (memories, chunks, links)."""

        def job(conn: apsw.Connection) -> int:
            removed = 0
            for path in paths:
                record = file_rows.get(conn, root, path)
                pk = file_rows.pk_of(conn, root, path)
                if record is None or pk is None:
                    continue
                if record.state.kind is FileKind.MEMORY:
                    vault_rows.delete_memory(conn, record.state.record_id)
                else:
                    vault_rows.delete_chunks(conn, pk)
                file_rows.delete(conn, pk)
                removed += 1
            return removed

        return self._write(job)

    def note_links(self, root: str, path: str) -> tuple[list[LinkView], list[LinkView]]:
        """Links written in the note, and links to it from other notes."""

        def job(conn: apsw.Connection) -> tuple[list[LinkView], list[LinkView]]:
            pk = file_rows.pk_of(conn, root, path)
            if pk is None:
                return [], []
            return file_rows.links_from(conn, pk), file_rows.links_to(conn, pk)

        return self._read(job)

    # --- pending vault writes -----------------------------------------------------------------
    def mark_pending(self, marks: Sequence[PendingWrite]) -> None:
        if marks:
            self._write(lambda conn: file_rows.mark_pending(conn, marks))

    def finish_pending(
        self,
        paths: Sequence[str],
        *,
        owner: str | None,
        rendered: Sequence[tuple[Memory, FileState]] = (),
        removed: Sequence[str] = (),
    ) -> None:
        """Drop marks (only ``owner``'s, if given) once their files are written: record each
        rendered memory file, forget the rows of memory files that were deleted."""

        def job(conn: apsw.Connection) -> None:
            for memory, state in rendered:
                file_rows.upsert_memory_file(conn, memory, state)
            for path in removed:
                pk = file_rows.pk_of(conn, VAULT_ROOT, path)
                if pk is not None:
                    file_rows.delete(conn, pk)
            file_rows.clear_pending(conn, paths, owner)

        if paths or rendered or removed:
            self._write(job)

    def pending_writes(self) -> list[PendingWrite]:
        return self._read(file_rows.pending)

    # --- index runs -----------------------------------------------------------------------------
    def start_index_run(self, root: str, namespace: str, owner: str, total: int) -> int:
        return self._write(
            lambda conn: file_rows.start_run(conn, root, namespace, owner, total, now_iso())
        )

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
            lambda conn: file_rows.update_run(
                conn,
                run_id,
                files_done=files_done,
                chunks=chunks,
                at=now_iso(),
                state=state,
                error=error,
            )
        )

    def index_runs(self, limit: int = 10) -> list[IndexRun]:
        return self._read(lambda conn: file_rows.runs(conn, limit))
