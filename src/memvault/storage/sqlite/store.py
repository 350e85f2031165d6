"""``SqliteStore``: the storage protocol on one SQLite file.

Reads run on a connection per thread, each inside a short read transaction so that a multi-step
read sees one snapshot. Writes never run on the caller's thread: they are handed to the process's
single :class:`Writer`, which commits them with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import apsw

from memvault.errors import ConflictError, NotFoundError, StorageError
from memvault.models import (
    CheckReport,
    Edge,
    InsertOutcome,
    Memory,
    MemoryFilter,
    MemoryPatch,
    Neighbour,
    Relation,
    SearchHit,
    StoreStats,
    ValidationEvent,
    Verdict,
)
from memvault.storage.protocol import ConfidenceRule
from memvault.storage.sqlite import graph, health, keyword, memory_rows
from memvault.storage.sqlite.connection import (
    Row,
    open_connection,
    translate,
    with_lock_retry,
)
from memvault.storage.sqlite.migrations import migrate
from memvault.storage.sqlite.writer import Writer
from memvault.text import QueryTerm

T = TypeVar("T")


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create folder for database {self._path}: {exc}") from exc
        conn = open_connection(self._path, reader=False)
        try:
            migrate(conn, self._path)
        except apsw.Error as exc:
            conn.close()
            raise translate(exc, self._path) from exc
        except BaseException:
            conn.close()
            raise
        self._writer = Writer(conn, self._path)
        self._write_conn = conn
        self._local = threading.local()
        self._readers: list[apsw.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False

    @property
    def location(self) -> str:
        return str(self._path)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._write_conn.close()

    # --- plumbing -------------------------------------------------------------------------
    def _reader(self) -> apsw.Connection:
        conn: apsw.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StorageError(f"database {self._path} is closed")
            conn = open_connection(self._path, reader=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _read(self, job: Callable[[apsw.Connection], T]) -> T:
        conn = self._reader()

        def attempt() -> T:
            conn.execute("BEGIN")
            try:
                return job(conn)
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

        try:
            return with_lock_retry(attempt, self._path)
        except apsw.Error as exc:
            raise translate(exc, self._path) from exc

    def _write(self, job: Callable[[apsw.Connection], T]) -> T:
        return self._writer.run(job)

    # --- memories -------------------------------------------------------------------------
    def insert_memories(self, memories: Sequence[Memory]) -> list[InsertOutcome]:
        def job(conn: apsw.Connection) -> list[InsertOutcome]:
            return [memory_rows.insert(conn, memory) for memory in memories]

        return self._write(job) if memories else []

    def get_memory(self, memory_id: str, *, touch_at: str | None = None) -> Memory | None:
        if touch_at is None:
            return self._read(lambda conn: memory_rows.fetch(conn, memory_id))

        def job(conn: apsw.Connection) -> Memory | None:
            pk = memory_rows.pk_of(conn, memory_id)
            if pk is None:
                return None
            memory_rows.touch(conn, pk, touch_at)
            return memory_rows.fetch(conn, memory_id)

        return self._write(job)

    def update_memory(self, memory_id: str, patch: MemoryPatch, updated_at: str) -> Memory:
        def job(conn: apsw.Connection) -> Memory:
            pk = _require(conn, memory_id)
            try:
                memory_rows.update(conn, pk, patch, updated_at)
            except apsw.ConstraintError as exc:
                raise ConflictError(
                    "another current memory in this namespace already has that content"
                ) from exc
            updated = memory_rows.fetch(conn, memory_id)
            assert updated is not None
            return updated

        return self._write(job)

    def delete_memory(self, memory_id: str) -> bool:
        def job(conn: apsw.Connection) -> bool:
            pk = memory_rows.pk_of(conn, memory_id)
            if pk is None:
                return False
            memory_rows.delete(conn, pk)
            return True

        return self._write(job)

    def list_memories(self, where: MemoryFilter, *, limit: int, offset: int = 0) -> list[Memory]:
        condition, params = memory_rows.filter_sql(where)
        sql = (
            f"SELECT {memory_rows.MEMORY_COLUMNS} FROM memories m WHERE {condition}"
            " ORDER BY m.pk DESC LIMIT ? OFFSET ?"
        )
        return self._read(
            lambda conn: [
                memory_rows.memory_from_row(r) for r in conn.execute(sql, (*params, limit, offset))
            ]
        )

    def supersede(self, old_id: str, new_id: str, at: str) -> None:
        def job(conn: apsw.Connection) -> None:
            _require(conn, old_id)
            _require(conn, new_id)
            if old_id == new_id:
                raise ConflictError("a memory cannot supersede itself")
            conn.execute(
                "UPDATE memories SET valid_to = ?, superseded_by = ?, updated_at = ? WHERE id = ?",
                (at, new_id, at, old_id),
            )
            graph.upsert_edge(conn, Edge(new_id, old_id, Relation.SUPERSEDES, 1.0, {}, at))

        self._write(job)

    # --- search ---------------------------------------------------------------------------
    def keyword_search(
        self, terms: Sequence[QueryTerm], where: MemoryFilter, *, limit: int
    ) -> list[SearchHit]:
        return self._read(lambda conn: keyword.search(conn, terms, where, limit))

    # --- graph and validation -------------------------------------------------------------
    def upsert_edge(self, edge: Edge) -> Edge:
        def job(conn: apsw.Connection) -> Edge:
            _require(conn, edge.source_id)
            _require(conn, edge.target_id)
            return graph.upsert_edge(conn, edge)

        return self._write(job)

    def delete_edge(self, source_id: str, target_id: str, relation: str) -> bool:
        return self._write(lambda conn: graph.delete_edge(conn, source_id, target_id, relation))

    def neighbours(
        self, memory_id: str, *, depth: int, relation: str | None = None
    ) -> list[Neighbour]:
        def job(conn: apsw.Connection) -> list[Neighbour]:
            _require(conn, memory_id)
            return graph.neighbours(conn, memory_id, depth, relation)

        return self._read(job)

    def record_validation(
        self,
        memory_id: str,
        verdict: Verdict,
        *,
        rule: ConfidenceRule,
        actor: str | None,
        note: str | None,
        event_id: str,
        at: str,
    ) -> ValidationEvent:
        def job(conn: apsw.Connection) -> ValidationEvent:
            _require(conn, memory_id)
            row: Row | None = conn.execute(
                "SELECT confidence FROM memories WHERE id = ?", (memory_id,)
            ).fetchone()
            assert row is not None  # _require just found it, in this transaction
            before = float(row[0])
            after = min(1.0, max(0.0, rule(before, verdict)))
            conn.execute(
                "UPDATE memories SET confidence = ?, updated_at = ? WHERE id = ?",
                (after, at, memory_id),
            )
            event = ValidationEvent(event_id, memory_id, verdict, actor, note, before, after, at)
            graph.insert_validation(conn, event)
            return event

        return self._write(job)

    def validation_history(self, memory_id: str) -> list[ValidationEvent]:
        return self._read(lambda conn: graph.validation_history(conn, memory_id))

    # --- operations -----------------------------------------------------------------------
    def stats(self) -> StoreStats:
        return self._read(lambda conn: health.stats(conn, self._path))

    def check(self) -> CheckReport:
        return self._read(health.check)


def _require(conn: apsw.Connection, memory_id: str) -> int:
    pk = memory_rows.pk_of(conn, memory_id)
    if pk is None:
        raise NotFoundError(f"no memory with id {memory_id}")
    return pk


__all__ = ["SqliteStore"]
