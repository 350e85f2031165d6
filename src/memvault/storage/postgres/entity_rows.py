"""SQL for entities and the memories that mention them (PostgreSQL): the counterpart of the
SQLite engine's ``entity_rows.py``, two statements per batch (one per table)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

from memvault.core.entity_records import EntityKind, EntityMention
from memvault.storage.entity_links import found_in, rows_of

Connection = psycopg.Connection[Any]

# A memory's entities as one JSON column of MEMORY_COLUMNS: [[key, name, kind], ...] or NULL.
ENTITIES_COLUMN = """
    (SELECT json_agg(json_build_array(e.key, l.name, l.kind) ORDER BY l.position)
     FROM memory_entities l JOIN entities e ON e.pk = l.entity_pk WHERE l.memory_pk = m.pk)
"""


def link_many(conn: Connection, linked: Iterable[tuple[int, Sequence[EntityMention]]]) -> None:
    """Link each memory (by pk) to its entities, adding the entities not known yet. Keys are
    inserted in key order, so two servers adding the same new keys never wait on each other in
    a circle."""
    entities, links = rows_of(linked)
    if not links:
        return
    entities.sort()
    conn.execute(
        "INSERT INTO entities(key, name, kind)"
        " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[])"
        " ON CONFLICT (key) DO NOTHING",
        ([e[0] for e in entities], [e[1] for e in entities], [e[2] for e in entities]),
    )
    conn.execute(
        "INSERT INTO memory_entities(memory_pk, entity_pk, position, name, kind)"
        " SELECT l.memory_pk, e.pk, l.position, l.name, l.kind"
        " FROM unnest(%s::bigint[], %s::int[], %s::text[], %s::text[], %s::text[])"
        "   AS l(memory_pk, position, name, kind, key)"
        " JOIN entities e ON e.key = l.key ON CONFLICT DO NOTHING",
        tuple([link[i] for link in links] for i in range(5)),
    )


LINK_BATCH = 1_000


def link_stored(conn: Connection) -> int:
    """Link the entities of every memory stored (an upgrade's step: the memories written before
    entities existed have none), in batches of ``LINK_BATCH``; how many memories were read."""
    after, read = 0, 0
    while rows := conn.execute(
        "SELECT m.pk, m.content,"
        " coalesce((SELECT array_agg(t.tag) FROM memory_tags t WHERE t.memory_pk = m.pk), '{}')"
        " FROM memories m WHERE m.pk > %s ORDER BY m.pk LIMIT %s",
        (after, LINK_BATCH),
    ).fetchall():
        link_many(conn, found_in((int(r[0]), str(r[1]), list(r[2])) for r in rows))
        after, read = int(rows[-1][0]), read + len(rows)
    return read


def relink(conn: Connection, pk: int, mentions: Sequence[EntityMention]) -> None:
    """Make the memory's entities exactly ``mentions``."""
    conn.execute("DELETE FROM memory_entities WHERE memory_pk = %s", (pk,))
    link_many(conn, [(pk, mentions)])


def get(conn: Connection, key: str) -> EntityMention | None:
    row = conn.execute("SELECT key, name, kind FROM entities WHERE key = %s", (key,)).fetchone()
    return None if row is None else EntityMention(row[0], row[1], EntityKind(row[2]))


def run(conn: Connection, query: tuple[str, list[Any]]) -> list[Any]:
    """One statement of ``entity_queries`` (through ``entity_reads``), its rows."""
    return list(conn.execute(query[0], query[1]).fetchall())
