"""Import links as rows that other roles' transactions share (PostgreSQL): read with a memory's
record (its file shows where it was imported from), written back when a memory file or an export
is read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from memvault.core.import_records import ImportOrigin
from memvault.core.times import now_iso

Connection = psycopg.Connection[Any]


def origins_of(conn: Connection, memory_id: str) -> tuple[ImportOrigin, ...]:
    """The source records a memory came from (for its file), by source and id."""
    return origins_of_many(conn, [memory_id]).get(memory_id, ())


def origins_of_many(
    conn: Connection, memory_ids: Sequence[str]
) -> dict[str, tuple[ImportOrigin, ...]]:
    found: dict[str, list[ImportOrigin]] = {}
    for row in conn.execute(
        "SELECT memory_id, source, source_id, record_hash FROM import_links"
        " WHERE memory_id = ANY(%s) ORDER BY source, source_id",
        (list(memory_ids),),
    ):
        found.setdefault(str(row[0]), []).append(
            ImportOrigin(str(row[1]), str(row[2]), str(row[3]))
        )
    return {memory_id: tuple(origins) for memory_id, origins in found.items()}


def put_origins(
    conn: Connection, memory_id: str, origins: Sequence[ImportOrigin], *, embed: bool
) -> None:
    """Links back from a memory's file (a rebuild, a restore). Only added or updated, never
    removed: a file written before files carried them says nothing about the links. A link
    that is new here, or moves to this memory, has its vector embedded here (or none); one that
    stays keeps how its vector came."""
    if not origins:
        return
    at = now_iso()
    vector = "embedded" if embed else "none"
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO import_links AS l(source, source_id, memory_id, record_hash, vector,"
            " imported_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT(source, source_id) DO UPDATE SET record_hash = excluded.record_hash,"
            " vector = CASE WHEN l.memory_id = excluded.memory_id THEN l.vector"
            " ELSE excluded.vector END,"
            " memory_id = excluded.memory_id, updated_at = excluded.updated_at"
            " WHERE l.memory_id != excluded.memory_id OR l.record_hash != excluded.record_hash",
            [(o.source, o.source_id, memory_id, o.record_hash, vector, at, at) for o in origins],
        )
