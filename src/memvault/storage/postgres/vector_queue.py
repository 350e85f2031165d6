"""The vector role of the PostgreSQL engine: vectors and the embedding job queue.

The queue lives in the same schema as the memories it serves, and many servers may work it at
once. A claim locks the rows it takes with ``FOR UPDATE SKIP LOCKED``: concurrent claimers pass
each other's rows by instead of waiting for them, so no job is claimed twice and no claimer
queues behind another. The housekeeping a claim does first (voiding expired or dead leases,
parking jobs that keep killing their worker) skips locked rows the same way: a row locked now
is being settled by its holder, and the next claim sees it. As in SQLite, a finished job is
only accepted from the worker that still holds its lease (``jobs.owned_memory_pks`` locks the
rows it checks, so a takeover cannot slip in between), so only one vector is ever written for
it.

Leases and backoff are Python's clock (the module-level ``time``, which tests replace), as in
SQLite: every server compares against the times the others wrote, so their clocks must agree,
as they must for the lease owners' hosts anyway.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from memvault.core.times import now_iso
from memvault.core.vector_records import (
    EmbedTask,
    JobCounts,
    JobFailure,
    VectorConfig,
    VectorStorage,
)
from memvault.storage.postgres import jobs, vectors
from memvault.storage.postgres.engine import Connection, PostgresEngine

if TYPE_CHECKING:
    from memvault.storage.roles import Matrix

_REQUEUE = "state = 'queued', lease_owner = NULL, lease_until = NULL"
MAX_BACKOFF_SECONDS = 300.0
_CLAIM = (
    "SELECT j.id, m.id, m.content, j.attempts FROM jobs j JOIN memories m ON m.pk = j.memory_pk"
)


class PostgresVectorQueue(PostgresEngine):
    def vector_config(self) -> VectorConfig | None:
        return self._read(vectors.read_config)

    def enqueue_missing_embeddings(self) -> int:
        def job(conn: Connection) -> int:
            has_vector = (
                f" AND NOT EXISTS (SELECT 1 FROM {vectors.TABLE} v WHERE v.memory_pk = m.pk)"
                if vectors.table_exists(conn)
                else ""
            )
            missing = [
                int(row[0])
                for row in conn.execute(
                    "SELECT m.pk FROM memories m WHERE NOT EXISTS (SELECT 1 FROM jobs j"
                    " WHERE j.memory_pk = m.pk AND j.state IN ('queued', 'running', 'failed'))"
                    f"{has_vector} ORDER BY m.pk"
                )
            ]
            jobs.enqueue(conn, missing)
            return len(missing)

        return self._write(job)

    def running_job_owners(self) -> list[str]:
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT DISTINCT lease_owner FROM jobs WHERE state = 'running'"
                " AND lease_owner IS NOT NULL ORDER BY lease_owner"
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
        def job(conn: Connection) -> list[EmbedTask]:
            now, at = time.time(), now_iso()
            _void_leases(conn, now, at, dead_owners, max_attempts)
            # Fresh jobs first, in a batch; retries one at a time, so a text that breaks the
            # model cannot sink a whole batch again. A job never tried has no backoff.
            rows: list[Any] = conn.execute(
                f"{_CLAIM} WHERE j.state = 'queued' AND j.attempts = 0"
                " ORDER BY j.id LIMIT %s FOR UPDATE OF j SKIP LOCKED",
                (limit,),
            ).fetchall()
            if not rows:
                rows = conn.execute(
                    f"{_CLAIM} WHERE j.state = 'queued' AND j.attempts > 0"
                    " AND j.not_before <= %s ORDER BY j.id LIMIT 1 FOR UPDATE OF j SKIP LOCKED",
                    (now,),
                ).fetchall()
            if rows:
                conn.execute(
                    "UPDATE jobs SET state = 'running', lease_owner = %s, lease_until = %s,"
                    " attempts = attempts + 1, updated_at = %s WHERE id = ANY(%s)",
                    (owner, now + lease_seconds, at, [int(row[0]) for row in rows]),
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
        def job(conn: Connection) -> int:
            held = jobs.owned_memory_pks(conn, owner, job_ids)
            rows = [i for i, job_id in enumerate(job_ids) if job_id in held]
            if not rows:
                return 0
            config = vectors.ensure_config(
                conn, model_id, int(embeddings.shape[1]), storage, embeddings[rows]
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
        def job(conn: Connection) -> None:
            now, at = time.time(), now_iso()
            held = conn.execute(
                "SELECT id, attempts FROM jobs WHERE id = ANY(%s) AND state = 'running'"
                " AND lease_owner = %s FOR UPDATE",
                (list(job_ids), owner),
            ).fetchall()
            parked = [int(job_id) for job_id, attempts in held if attempts >= max_attempts]
            conn.execute(
                "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL,"
                " last_error = %s, updated_at = %s WHERE id = ANY(%s)",
                (error, at, parked),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    f"UPDATE jobs SET {_REQUEUE}, not_before = %s, last_error = %s,"
                    " updated_at = %s WHERE id = %s",
                    [
                        (now + _backoff(backoff_seconds, int(attempts)), error, at, int(job_id))
                        for job_id, attempts in held
                        if attempts < max_attempts
                    ],
                )

        self._write(job)

    def release_jobs(self, owner: str) -> None:
        self._write(
            lambda conn: conn.execute(
                f"UPDATE jobs SET {_REQUEUE}, attempts = greatest(attempts - 1, 0),"
                " updated_at = %s WHERE state = 'running' AND lease_owner = %s",
                (now_iso(), owner),
            )
        )

    def retry_failed_jobs(self) -> int:
        def job(conn: Connection) -> int:
            retried = conn.execute(
                "UPDATE jobs SET state = 'queued', attempts = 0, not_before = 0, updated_at = %s"
                " WHERE state = 'failed'",
                (now_iso(),),
            )
            return retried.rowcount

        return self._write(job)

    def job_counts(self) -> JobCounts:
        rows = self._read(
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
        row = self._read(
            lambda conn: conn.execute(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE state IN ('queued', 'running'))"
            ).fetchone()
        )
        return bool(row and row[0])

    def job_failures(self, limit: int) -> list[JobFailure]:
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT j.id, m.id, j.attempts, coalesce(j.last_error, ''), j.updated_at"
                " FROM jobs j JOIN memories m ON m.pk = j.memory_pk WHERE j.state = 'failed'"
                " ORDER BY j.id DESC LIMIT %s",
                (limit,),
            ).fetchall()
        )
        return [JobFailure(int(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4])) for r in rows]

    def reset_vectors(self) -> None:
        def job(conn: Connection) -> None:
            # The jobs first: a worker storing vectors holds its job rows, so this waits for it
            # before the table is locked, instead of each waiting on the other (a deadlock).
            conn.execute("DELETE FROM jobs")
            vectors.reset(conn)

        self._write(job)


def _void_leases(
    conn: Connection, now: float, at: str, dead_owners: Sequence[str], max_attempts: int
) -> None:
    """Back to the queue: jobs whose lease ran out or whose owner is dead; then park the jobs
    whose worker died holding them ``max_attempts`` times, which is what killed them."""
    conn.execute(
        f"UPDATE jobs SET {_REQUEUE}, updated_at = %s WHERE id IN (SELECT id FROM jobs"
        " WHERE state = 'running' AND (lease_until < %s OR lease_owner = ANY(%s))"
        " FOR UPDATE SKIP LOCKED)",
        (at, now, list(dead_owners)),
    )
    conn.execute(
        "UPDATE jobs SET state = 'failed', last_error = %s, updated_at = %s WHERE id IN"
        " (SELECT id FROM jobs WHERE state = 'queued' AND attempts >= %s FOR UPDATE SKIP LOCKED)",
        (
            f"the embedding process stopped while working on this {max_attempts} times",
            at,
            max_attempts,
        ),
    )


def _backoff(base: float, attempts: int) -> float:
    return min(base * 2.0 ** (attempts - 1), MAX_BACKOFF_SECONDS)
