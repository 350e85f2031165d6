"""The vector role of the SQLite engine: vectors and the embedding job queue.

The queue lives in the same database as the memories it serves. Workers claim jobs inside
``BEGIN IMMEDIATE``, which makes a claim atomic across processes, and hold them under a lease. A
finished job is only accepted from the worker that still holds its lease, so if a lease expired
and another worker took the job over, only one vector is ever written for it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import apsw

from memvault.core.times import now_iso
from memvault.core.vector_records import (
    EmbedTask,
    JobCounts,
    JobFailure,
    VectorConfig,
    VectorStorage,
)
from memvault.storage.sqlite import jobs, vectors
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.engine import SqliteEngine

if TYPE_CHECKING:
    from memvault.storage.roles import Matrix

_REQUEUE = "state = 'queued', lease_owner = NULL, lease_until = NULL"
MAX_BACKOFF_SECONDS = 300.0


class SqliteVectorQueue(SqliteEngine):
    def vector_config(self) -> VectorConfig | None:
        return self._read(vectors.read_config)

    def enqueue_missing_embeddings(self) -> int:
        def job(conn: apsw.Connection) -> int:
            missing = jobs.memory_pks(conn) - vectors.vector_pks(conn) - jobs.pks_with_jobs(conn)
            jobs.enqueue(conn, sorted(missing))
            return len(missing)

        return self._write(job)

    def running_job_owners(self) -> list[str]:
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                "SELECT DISTINCT lease_owner FROM jobs WHERE state = 'running'"
                " AND lease_owner IS NOT NULL"
            ).fetchall()
        )
        return [str(r[0]) for r in rows]

    def claim_embed_jobs(
        self,
        owner: str,
        *,
        limit: int,
        lease_seconds: float,
        dead_owners: Sequence[str] = (),
        max_attempts: int = 5,
    ) -> list[EmbedTask]:
        def job(conn: apsw.Connection) -> list[EmbedTask]:
            now, at = time.time(), now_iso()
            conn.execute(
                f"UPDATE jobs SET {_REQUEUE}, updated_at = ?"
                " WHERE state = 'running' AND lease_until < ?",
                (at, now),
            )
            conn.executemany(
                f"UPDATE jobs SET {_REQUEUE}, updated_at = ?"
                " WHERE state = 'running' AND lease_owner = ?",
                [(at, dead) for dead in dead_owners],
            )
            # A job whose worker died holding it max_attempts times is what killed them: park it.
            conn.execute(
                "UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ?"
                " WHERE state = 'queued' AND attempts >= ?",
                (
                    f"the embedding process stopped while working on this {max_attempts} times",
                    at,
                    max_attempts,
                ),
            )
            # Fresh jobs first, in a batch; retries one at a time, so a text that breaks the
            # model cannot sink a whole batch again. Two queries, each answered by an index
            # without sorting; a job never tried has no backoff (not_before plays no part).
            select = (
                "SELECT j.id, m.id, m.content, j.attempts"
                " FROM jobs j JOIN memories m ON m.pk = j.memory_pk"
            )
            rows: list[Row] = conn.execute(
                f"{select} WHERE j.state = 'queued' AND j.attempts = 0 ORDER BY j.id LIMIT ?",
                (limit,),
            ).fetchall()
            if not rows:
                rows = conn.execute(
                    f"{select} WHERE j.state = 'queued' AND j.attempts > 0 AND j.not_before <= ?"
                    " ORDER BY j.id LIMIT 1",
                    (now,),
                ).fetchall()
            conn.executemany(
                "UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = ?,"
                " attempts = attempts + 1, updated_at = ? WHERE id = ?",
                [(owner, now + lease_seconds, at, int(row[0])) for row in rows],
            )
            return [EmbedTask(int(r[0]), str(r[1]), str(r[2]), int(r[3]) + 1) for r in rows]

        return self._write(job)

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
        def job(conn: apsw.Connection) -> None:
            now, at = time.time(), now_iso()
            for job_id in jobs.owned_memory_pks(conn, owner, job_ids):
                row = conn.execute("SELECT attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()
                attempts = int(row[0]) if row else max_attempts
                if attempts >= max_attempts:
                    conn.execute(
                        "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL,"
                        " last_error = ?, updated_at = ? WHERE id = ?",
                        (error, at, job_id),
                    )
                else:
                    delay = min(backoff_seconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
                    conn.execute(
                        f"UPDATE jobs SET {_REQUEUE}, not_before = ?, last_error = ?,"
                        " updated_at = ? WHERE id = ?",
                        (now + delay, error, at, job_id),
                    )

        self._write(job)

    def release_jobs(self, owner: str) -> None:
        self._write(
            lambda conn: conn.execute(
                f"UPDATE jobs SET {_REQUEUE}, attempts = max(attempts - 1, 0), updated_at = ?"
                " WHERE state = 'running' AND lease_owner = ?",
                (now_iso(), owner),
            )
        )

    def retry_failed_jobs(self) -> int:
        def job(conn: apsw.Connection) -> int:
            conn.execute(
                "UPDATE jobs SET state = 'queued', attempts = 0, not_before = 0, updated_at = ?"
                " WHERE state = 'failed'",
                (now_iso(),),
            )
            return conn.changes()

        return self._write(job)

    def job_counts(self) -> JobCounts:
        rows: list[Row] = self._read(
            lambda conn: conn.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall()
        )
        found = {str(state): int(n) for state, n in rows}
        return JobCounts(
            queued=found.get("queued", 0),
            running=found.get("running", 0),
            done=found.get("done", 0),
            failed=found.get("failed", 0),
        )

    def has_pending_jobs(self) -> bool:
        row: Row | None = self._read(
            lambda conn: conn.execute(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE state IN ('queued', 'running'))"
            ).fetchone()
        )
        return bool(row and row[0])

    def job_failures(self, limit: int) -> list[JobFailure]:
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                "SELECT j.id, m.id, j.attempts, coalesce(j.last_error, ''), j.updated_at"
                " FROM jobs j JOIN memories m ON m.pk = j.memory_pk WHERE j.state = 'failed'"
                " ORDER BY j.id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        )
        return [JobFailure(int(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4])) for r in rows]

    def reset_vectors(self) -> None:
        def job(conn: apsw.Connection) -> None:
            vectors.reset(conn)
            conn.execute("DELETE FROM jobs")

        self._write(job)
