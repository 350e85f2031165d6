"""Rows of the embedding job queue, shared by the transactions that write memories (PostgreSQL).

A job is enqueued in the transaction that writes its memory, so an acknowledged write always has
its job. Claims, leases and failures are the queue role's (``vector_queue.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

from memvault.core.times import now_iso

Connection = psycopg.Connection[Any]


def enqueue(conn: Connection, pks: Iterable[int]) -> None:
    """Queue an embed job for each memory that has no open job yet."""
    at = now_iso()
    rows = [(pk, at, at) for pk in pks]
    if not rows:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO jobs(kind, memory_pk, state, created_at, updated_at)"
            " VALUES ('embed', %s, 'queued', %s, %s)"
            " ON CONFLICT (kind, memory_pk) WHERE state IN ('queued', 'running') DO NOTHING",
            rows,
        )


def requeue(conn: Connection, pk: int, *, embed: bool) -> None:
    """The memory's text changed: any embedding in flight is stale, so start over.

    A job another process is running goes back to the queue (its lease is void, so its vector
    of the old text is refused), even when this process does not embed (``embed`` False): the
    memory's old vector is gone, and whoever embeds this vault makes the new one.
    """
    conn.execute("DELETE FROM jobs WHERE memory_pk = %s AND state = 'failed'", (pk,))
    conn.execute(
        "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL,"
        " updated_at = %s WHERE memory_pk = %s AND state = 'running'",
        (now_iso(), pk),
    )
    if embed:
        enqueue(conn, [pk])


def memory_pks(conn: Connection) -> set[int]:
    return {int(r[0]) for r in conn.execute("SELECT pk FROM memories")}


def pks_with_jobs(conn: Connection) -> set[int]:
    """Memories whose job is open or parked as failed (a backfill must not revive those)."""
    return {
        int(r[0])
        for r in conn.execute(
            "SELECT memory_pk FROM jobs WHERE state IN ('queued', 'running', 'failed')"
        )
    }


def owned_memory_pks(conn: Connection, owner: str, job_ids: Sequence[int]) -> dict[int, int]:
    """job id → memory pk, for the jobs ``owner`` still holds (others were taken over)."""
    rows = conn.execute(
        "SELECT id, memory_pk FROM jobs WHERE id = ANY(%s) AND state = 'running'"
        " AND lease_owner = %s FOR UPDATE",
        (list(job_ids), owner),
    )
    return {int(r[0]): int(r[1]) for r in rows}


def finish(conn: Connection, job_ids: Iterable[int]) -> None:
    conn.execute(
        "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL,"
        " last_error = NULL, updated_at = %s WHERE id = ANY(%s)",
        (now_iso(), list(job_ids)),
    )


def settle(conn: Connection, pks: Iterable[int]) -> None:
    """These memories got their vector another way (carried over by an import): close their
    open jobs, and record a done one where none exists, so nothing embeds them again."""
    at = now_iso()
    for pk in pks:
        conn.execute(
            "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL,"
            " last_error = NULL, updated_at = %s WHERE memory_pk = %s AND state != 'done'",
            (at, pk),
        )
        conn.execute(
            "INSERT INTO jobs(kind, memory_pk, state, created_at, updated_at)"
            " SELECT 'embed', %s, 'done', %s, %s WHERE NOT EXISTS"
            " (SELECT 1 FROM jobs WHERE memory_pk = %s)",
            (pk, at, at, pk),
        )
