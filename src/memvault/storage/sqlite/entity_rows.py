"""SQL for entities and the memories that mention them (SQLite).

``entities`` holds each key once (named by its first spelling); ``memory_entities`` links a
memory to its entities with the name and kind that memory used and their position, so a memory
reads back exactly the entities its file lists. A batch costs two statements (one per table)
whatever its size: the insert path stays one statement per table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import apsw

from memvault.core.entity_records import EntityKind, EntityMention
from memvault.storage.entity_links import rows_of

# A memory's entities as one JSON column of MEMORY_COLUMNS: [[key, name, kind], ...].
ENTITIES_COLUMN = """
    (SELECT json_group_array(json_array(x.key, x.name, x.kind)) FROM
        (SELECT e.key, l.name, l.kind FROM memory_entities l JOIN entities e ON e.pk = l.entity_pk
         WHERE l.memory_pk = m.pk ORDER BY l.position) x)
"""

# One statement per table for a whole batch, its rows as one JSON array: a statement per row
# (``executemany``) took several times as long on the writer thread.
_INSERT_ENTITIES = (
    "INSERT INTO entities(key, name, kind)"
    " SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true"
    " ON CONFLICT(key) DO NOTHING"
)
_INSERT_LINKS = (
    "INSERT OR IGNORE INTO memory_entities(memory_pk, entity_pk, position, name, kind)"
    " SELECT j.value ->> 0, e.pk, j.value ->> 1, j.value ->> 2, j.value ->> 3"
    " FROM json_each(?) j JOIN entities e ON e.key = j.value ->> 4"
)


def link_many(conn: apsw.Connection, linked: Iterable[tuple[int, Sequence[EntityMention]]]) -> None:
    """Link each memory (by pk) to its entities, adding the entities not known yet."""
    entities, links = rows_of(linked)
    if links:
        conn.execute(_INSERT_ENTITIES, (json.dumps(entities, ensure_ascii=False),))
        conn.execute(_INSERT_LINKS, (json.dumps(links, ensure_ascii=False),))


def relink(conn: apsw.Connection, pk: int, mentions: Sequence[EntityMention]) -> None:
    """Make the memory's entities exactly ``mentions``."""
    conn.execute("DELETE FROM memory_entities WHERE memory_pk = ?", (pk,))
    link_many(conn, [(pk, mentions)])


def get(conn: apsw.Connection, key: str) -> EntityMention | None:
    row = conn.execute("SELECT key, name, kind FROM entities WHERE key = ?", (key,)).fetchone()
    return None if row is None else EntityMention(row[0], row[1], EntityKind(row[2]))


def run(conn: apsw.Connection, query: tuple[str, list[Any]]) -> list[Any]:
    """One statement of ``entity_queries`` (through ``entity_reads``), its rows."""
    return list(conn.execute(query[0], query[1]).fetchall())
