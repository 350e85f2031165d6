"""The embedding job queue, in the same database as the memories it serves.

A job is enqueued in the transaction that writes its memory, so an acknowledged write always has
its job: a crash cannot separate them. Workers claim jobs inside ``BEGIN IMMEDIATE``, which makes a
claim atomic across processes, and hold them under a lease. A finished job is only accepted from
the worker that still holds its lease, so if a lease expired and another worker took the job
over, only one vector is ever written for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import apsw

from memvault.core.times import now_iso
from memvault.core.vector_records import EmbedTask, JobCounts, JobFailure
from memvault.storage.sqlite.connection import Row

_OPEN = "('queued', 'running')"


def enqueue(conn: apsw.Connection, pks: Iterable[int]) -> None:
    """Queue an embed job for each memory that has no open job yet."""
    at = now_iso()
    conn.executemany(
        "INSERT OR IGNORE INTO jobs(kind, memory_pk, state, created_at, updated_at)"
        " VALUES ('embed', ?, 'queued', ?, ?)",
        [(pk, at, at) for pk in pks],
    )


def requeue(conn: apsw.Connection, pk: int) -> None:
    """The memory's text changed: any embedding in flight is stale, so start over."""
    # A parked failure was about the old text; kept, it would be reported forever and, revived
    # by retry_failed, collide with the open job queued below.
    conn.execute("DELETE FROM jobs WHERE memory_pk = ? AND state = 'failed'", (pk,))
    conn.execute(
        "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL,"
        " updated_at = ? WHERE memory_pk = ? AND state = 'running'",
        (now_iso(), pk),
    )
    enqueue(conn, [pk])


def memory_pks(conn: apsw.Connection) -> set[int]:
    return {int(r[0]) for r in conn.execute("SELECT pk FROM memories")}


def pks_with_jobs(conn: apsw.Connection) -> set[int]:
    """Memories whose job is open or parked as failed (a backfill must not revive those)."""
    return {
        int(r[0])
        for r in conn.execute(
            "SELECT memory_pk FROM jobs WHERE state IN ('queued', 'running', 'failed')"
        )
    }


def running_owners(conn: apsw.Connection) -> list[str]:
    return [
        str(r[0])
        for r in conn.execute(
            "SELECT DISTINCT lease_owner FROM jobs WHERE state = 'running'"
            " AND lease_owner IS NOT NULL"
        )
    ]


def claim(
    conn: apsw.Connection,
    owner: str,
    *,
    limit: int,
    now: float,
    lease_seconds: float,
    dead_owners: Sequence[str],
    max_attempts: int,
) -> list[EmbedTask]:
    at = now_iso()
    conn.execute(
        "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = ?"
        " WHERE state = 'running' AND lease_until < ?",
        (at, now),
    )
    conn.executemany(
        "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = ?"
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
    # Fresh jobs first, in a batch; retries one at a time, so a text that breaks the model
    # cannot sink a whole batch again. Two queries, each answered by an index without sorting.
    select = (
        "SELECT j.id, m.id, m.content, j.attempts FROM jobs j JOIN memories m ON m.pk = j.memory_pk"
    )
    rows: list[Row] = conn.execute(
        f"{select} WHERE j.state = 'queued' AND j.attempts = 0 ORDER BY j.id LIMIT ?",
        (limit,),  # a job never tried has no backoff: not_before plays no part here
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


def owned_memory_pks(conn: apsw.Connection, owner: str, job_ids: Sequence[int]) -> dict[int, int]:
    """job id → memory pk, for the jobs ``owner`` still holds (others were taken over)."""
    held: dict[int, int] = {}
    for job_id in job_ids:
        row = conn.execute(
            "SELECT memory_pk FROM jobs WHERE id = ? AND state = 'running' AND lease_owner = ?",
            (job_id, owner),
        ).fetchone()
        if row is not None:
            held[job_id] = int(row[0])
    return held


def finish(conn: apsw.Connection, job_ids: Iterable[int]) -> None:
    conn.executemany(
        "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL,"
        " last_error = NULL, updated_at = ? WHERE id = ?",
        [(now_iso(), job_id) for job_id in job_ids],
    )


def settle(conn: apsw.Connection, pks: Iterable[int]) -> None:
    """These memories got their vector another way (carried over by an import): close their
    open jobs, and record a done one where none exists, so nothing embeds them again."""
    at = now_iso()
    for pk in pks:
        conn.execute(
            "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL,"
            " last_error = NULL, updated_at = ? WHERE memory_pk = ? AND state != 'done'",
            (at, pk),
        )
        conn.execute(
            "INSERT INTO jobs(kind, memory_pk, state, created_at, updated_at)"
            " SELECT 'embed', ?, 'done', ?, ? WHERE NOT EXISTS"
            " (SELECT 1 FROM jobs WHERE memory_pk = ?)",
            (pk, at, at, pk),
        )


def fail(
    conn: apsw.Connection,
    owner: str,
    job_ids: Sequence[int],
    error: str,
    *,
    now: float,
    max_attempts: int,
    backoff_seconds: float,
) -> None:
    """Back off and retry, or park the job as failed once it has had ``max_attempts``."""
    at = now_iso()
    for job_id in owned_memory_pks(conn, owner, job_ids):
        row = conn.execute("SELECT attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()
        attempts = int(row[0]) if row else max_attempts
        if attempts >= max_attempts:
            conn.execute(
                "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL,"
                " last_error = ?, updated_at = ? WHERE id = ?",
                (error, at, job_id),
            )
        else:
            delay = min(backoff_seconds * 2 ** (attempts - 1), 300.0)
            conn.execute(
                "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL,"
                " not_before = ?, last_error = ?, updated_at = ? WHERE id = ?",
                (now + delay, error, at, job_id),
            )


def release(conn: apsw.Connection, owner: str) -> None:
    """Give back whatever ``owner`` still holds (a clean shutdown), without using up a try."""
    conn.execute(
        "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL,"
        " attempts = max(attempts - 1, 0), updated_at = ? WHERE state = 'running'"
        " AND lease_owner = ?",
        (now_iso(), owner),
    )


def retry_failed(conn: apsw.Connection) -> int:
    conn.execute(
        "UPDATE jobs SET state = 'queued', attempts = 0, not_before = 0, updated_at = ?"
        " WHERE state = 'failed'",
        (now_iso(),),
    )
    return conn.changes()


def counts(conn: apsw.Connection) -> JobCounts:
    found: dict[str, int] = {
        str(state): int(n)
        for state, n in conn.execute("SELECT state, count(*) FROM jobs GROUP BY state")
    }
    return JobCounts(
        queued=int(found.get("queued", 0)),
        running=int(found.get("running", 0)),
        done=int(found.get("done", 0)),
        failed=int(found.get("failed", 0)),
    )


def failures(conn: apsw.Connection, limit: int) -> list[JobFailure]:
    rows: list[Row] = conn.execute(
        "SELECT j.id, m.id, j.attempts, coalesce(j.last_error, ''), j.updated_at"
        " FROM jobs j JOIN memories m ON m.pk = j.memory_pk WHERE j.state = 'failed'"
        " ORDER BY j.id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [JobFailure(int(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4])) for r in rows]


def clear_for_reembed(conn: apsw.Connection) -> None:
    conn.execute("DELETE FROM jobs")


def has_pending(conn: apsw.Connection) -> bool:
    """Whether any job is queued or running: O(1), unlike ``counts``."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE state IN ('queued', 'running'))"
    ).fetchone()
    return bool(row and row[0])
