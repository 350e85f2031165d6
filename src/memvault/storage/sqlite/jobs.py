"""Rows of the embedding job queue, shared by the transactions that write memories.

A job is enqueued in the transaction that writes its memory, so an acknowledged write always has
its job: a crash cannot separate them. Claims, leases and failures are the queue role's
(``queue.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import apsw

from memvault.core.times import now_iso


def enqueue(conn: apsw.Connection, pks: Iterable[int]) -> None:
    """Queue an embed job for each memory that has no open job yet."""
    at = now_iso()
    conn.executemany(
        "INSERT OR IGNORE INTO jobs(kind, memory_pk, state, created_at, updated_at)"
        " VALUES ('embed', ?, 'queued', ?, ?)",
        [(pk, at, at) for pk in pks],
    )


def requeue(conn: apsw.Connection, pk: int, *, embed: bool) -> None:
    """The memory's text changed: any embedding in flight is stale, so start over.

    A job another process is running goes back to the queue (its lease is void, so its vector
    of the old text is refused), even when this process does not embed (``embed`` False): the
    memory's old vector is gone, and whoever embeds this vault makes the new one.
    """
    # A parked failure was about the old text; kept, it would be reported forever and, revived
    # by retry_failed, collide with the open job queued below.
    conn.execute("DELETE FROM jobs WHERE memory_pk = ? AND state = 'failed'", (pk,))
    conn.execute(
        "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL,"
        " updated_at = ? WHERE memory_pk = ? AND state = 'running'",
        (now_iso(), pk),
    )
    if embed:
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
    at = now_iso()
    conn.executemany(
        "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL,"
        " last_error = NULL, updated_at = ? WHERE id = ?",
        [(at, job_id) for job_id in job_ids],
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
