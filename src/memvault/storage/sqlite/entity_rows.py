"""SQL for entities and the memories that mention them (SQLite).

``entities`` holds each key once (named by its first spelling); ``memory_entities`` links a
memory to its entities with the name and kind that memory used and their position, so a memory
reads back exactly the entities its file lists. A batch costs two statements (one per table)
whatever its size: the insert path stays one statement per table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import apsw

from memvault.core.entity_records import EntityKind, EntityMention
from memvault.storage.entity_links import rows_of

# A memory's entities as one JSON column of MEMORY_COLUMNS: [[key, name, kind], ...].
ENTITIES_COLUMN = """
    (SELECT json_group_array(json_array(x.key, x.name, x.kind)) FROM
        (SELECT e.key, l.name, l.kind FROM memory_entities l JOIN entities e ON e.pk = l.entity_pk
         WHERE l.memory_pk = m.pk ORDER BY l.position) x)
"""

_INSERT_ENTITY = (
    "INSERT INTO entities(key, name, kind) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING"
)
_INSERT_LINK = (
    "INSERT OR IGNORE INTO memory_entities(memory_pk, entity_pk, position, name, kind)"
    " SELECT ?, pk, ?, ?, ? FROM entities WHERE key = ?"
)


def link_many(conn: apsw.Connection, linked: Iterable[tuple[int, Sequence[EntityMention]]]) -> None:
    """Link each memory (by pk) to its entities, adding the entities not known yet."""
    entities, links = rows_of(linked)
    if links:
        conn.executemany(_INSERT_ENTITY, entities)
        conn.executemany(_INSERT_LINK, links)


def relink(conn: apsw.Connection, pk: int, mentions: Sequence[EntityMention]) -> None:
    """Make the memory's entities exactly ``mentions``."""
    conn.execute("DELETE FROM memory_entities WHERE memory_pk = ?", (pk,))
    link_many(conn, [(pk, mentions)])


def get(conn: apsw.Connection, key: str) -> EntityMention | None:
    row = conn.execute("SELECT key, name, kind FROM entities WHERE key = ?", (key,)).fetchone()
    return None if row is None else EntityMention(row[0], row[1], EntityKind(row[2]))
