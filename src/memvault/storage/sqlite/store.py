"""``SqliteStore``: the storage protocol on one SQLite file.

Reads run on a connection per thread, each inside a short read transaction so that a multi-step
read sees one snapshot. Writes never run on the caller's thread: they are handed to the process's
single :class:`Writer`, which commits them with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import apsw

from memvault.core.errors import ConflictError, NotFoundError, StorageError
from memvault.core.records import (
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
from memvault.core.terms import QueryTerm
from memvault.core.vector_records import (
    EmbedTask,
    JobCounts,
    JobFailure,
    VectorConfig,
    VectorStorage,
)
from memvault.storage.roles import ConfidenceRule
from memvault.storage.sqlite import (
    graph,
    health,
    jobs,
    keyword,
    memory_rows,
    vault_rows,
    vector_search,
    vectors,
)
from memvault.storage.sqlite.connection import Row, open_connection, translate, with_lock_retry
from memvault.storage.sqlite.migrations import migrate
from memvault.storage.sqlite.store_files import VaultFilesMixin
from memvault.storage.sqlite.store_imports import ImportsMixin
from memvault.storage.sqlite.vector_index import VectorIndex
from memvault.storage.sqlite.writer import Writer

if TYPE_CHECKING:
    from memvault.storage.roles import Matrix

T = TypeVar("T")


class SqliteStore(VaultFilesMixin, ImportsMixin):
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
        self._index = VectorIndex(snapshot=self._path.with_name(self._path.name + ".vindex"))

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
    def insert_memories(
        self, memories: Sequence[Memory], *, embed: bool = False
    ) -> list[InsertOutcome]:
        def job(conn: apsw.Connection) -> list[InsertOutcome]:
            outcomes = [memory_rows.insert(conn, memory) for memory in memories]
            if embed:
                created = [o.id for o in outcomes if o.created]
                jobs.enqueue(conn, [_require(conn, memory_id) for memory_id in created])
            return outcomes

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

    def update_memory(
        self, memory_id: str, patch: MemoryPatch, updated_at: str, *, embed: bool = False
    ) -> Memory:
        def job(conn: apsw.Connection) -> Memory:
            pk = _require(conn, memory_id)
            try:
                memory_rows.update(conn, pk, patch, updated_at)
            except apsw.ConstraintError as exc:
                raise ConflictError(
                    "another current memory in this namespace already has that content"
                ) from exc
            if patch.content is not None:
                vectors.delete(conn, pk)  # a vector of the old text would mislead searches
                if embed:
                    jobs.requeue(conn, pk)
            updated = memory_rows.fetch(conn, memory_id)
            assert updated is not None
            return updated

        return self._write(job)

    def delete_memory(self, memory_id: str) -> bool:
        return self._write(lambda conn: vault_rows.delete_memory(conn, memory_id))

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

    def keyword_ranking(
        self, terms: Sequence[QueryTerm], where: MemoryFilter, *, limit: int
    ) -> list[tuple[str, float]]:
        return self._read(lambda conn: keyword.ranking(conn, terms, where, limit))

    def vector_ranking(
        self, query: Matrix, where: MemoryFilter, *, limit: int
    ) -> list[tuple[str, float]]:
        return self._read(
            lambda conn: vector_search.ranking(conn, self._index, query, where, limit)
        )

    def memories_by_id(self, ids: Sequence[str]) -> dict[str, Memory]:
        return self._read(lambda conn: memory_rows.fetch_many(conn, ids))

    def vector_search(self, query: Matrix, where: MemoryFilter, *, limit: int) -> list[SearchHit]:
        return self._read(lambda conn: vector_search.search(conn, self._index, query, where, limit))

    # --- vectors and the job queue ------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        row = self._read(
            lambda conn: conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        )
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        self._write(
            lambda conn: conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        )

    def vector_config(self) -> VectorConfig | None:
        return self._read(vectors.read_config)

    def enqueue_missing_embeddings(self) -> int:
        def job(conn: apsw.Connection) -> int:
            missing = jobs.memory_pks(conn) - vectors.vector_pks(conn) - jobs.pks_with_jobs(conn)
            jobs.enqueue(conn, sorted(missing))
            return len(missing)

        return self._write(job)

    def running_job_owners(self) -> list[str]:
        return self._read(jobs.running_owners)

    def claim_embed_jobs(
        self,
        owner: str,
        *,
        limit: int,
        lease_seconds: float,
        dead_owners: Sequence[str] = (),
        max_attempts: int = 5,
    ) -> list[EmbedTask]:
        return self._write(
            lambda conn: jobs.claim(
                conn,
                owner,
                limit=limit,
                now=time.time(),
                lease_seconds=lease_seconds,
                dead_owners=dead_owners,
                max_attempts=max_attempts,
            )
        )

    def store_embeddings(
        self,
        owner: str,
        *,
        model_id: str,
        storage: VectorStorage,
        job_ids: Sequence[int],
        embeddings: Matrix,
    ) -> int:
        def job(conn: apsw.Connection) -> int:
            held = jobs.owned_memory_pks(conn, owner, job_ids)
            rows = [i for i, job_id in enumerate(job_ids) if job_id in held]
            if not rows:
                return 0
            config = vectors.ensure_config(
                conn, model_id, int(embeddings.shape[1]), storage, embeddings
            )
            pks = [held[job_ids[i]] for i in rows]
            vectors.put(conn, config, pks, embeddings[rows])
            jobs.finish(conn, [job_ids[i] for i in rows])
            return len(rows)

        return self._write(job)

    def fail_embed_jobs(
        self,
        owner: str,
        job_ids: Sequence[int],
        error: str,
        *,
        max_attempts: int,
        backoff_seconds: float,
    ) -> None:
        self._write(
            lambda conn: jobs.fail(
                conn,
                owner,
                job_ids,
                error,
                now=time.time(),
                max_attempts=max_attempts,
                backoff_seconds=backoff_seconds,
            )
        )

    def release_jobs(self, owner: str) -> None:
        self._write(lambda conn: jobs.release(conn, owner))

    def retry_failed_jobs(self) -> int:
        return self._write(jobs.retry_failed)

    def has_pending_jobs(self) -> bool:
        return self._read(jobs.has_pending)

    def job_counts(self) -> JobCounts:
        return self._read(jobs.counts)

    def job_failures(self, limit: int) -> list[JobFailure]:
        return self._read(lambda conn: jobs.failures(conn, limit))

    def reset_vectors(self) -> None:
        def job(conn: apsw.Connection) -> None:
            vectors.reset(conn)
            jobs.clear_for_reembed(conn)

        self._write(job)

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
