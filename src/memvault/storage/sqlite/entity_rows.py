"""SQL for entities and the memories that mention them (SQLite).

``entities`` holds each key once (named by its first spelling); ``memory_entities`` links a
memory to its entities with the name and kind that memory used and their position, so a memory
reads back exactly the entities its file lists. A batch costs three statements whatever its
size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import apsw

from memvault.core.entity_records import EntityKind, EntityMention
from memvault.storage.entity_links import found_in, rows_of

# A memory's entities as one JSON column of MEMORY_COLUMNS: [[key, name, kind], ...].
ENTITIES_COLUMN = """
    (SELECT json_group_array(json_array(x.key, x.name, x.kind)) FROM
        (SELECT e.key, l.name, l.kind FROM memory_entities l JOIN entities e ON e.pk = l.entity_pk
         WHERE l.memory_pk = m.pk ORDER BY l.position) x)
"""

# The new entities of a whole batch in one statement over a JSON array (a statement per row
# took several times as long on the writer thread); then their pks in one more, and the links
# with those pks by ``executemany`` (a JSON array joined to the entities by key took longer).
_INSERT_ENTITIES = (
    "INSERT INTO entities(key, name, kind)"
    " SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true"
    " ON CONFLICT(key) DO NOTHING"
)
_PKS = "SELECT key, pk FROM entities WHERE key IN (SELECT value FROM json_each(?))"
_INSERT_LINK = (
    "INSERT OR IGNORE INTO memory_entities(memory_pk, entity_pk, position, name, kind)"
    " VALUES (?, ?, ?, ?, ?)"
)


def link_many(conn: apsw.Connection, linked: Iterable[tuple[int, Sequence[EntityMention]]]) -> None:
    """Link each memory (by pk) to its entities, adding the entities not known yet."""
    entities, links = rows_of(linked)
    if not links:
        return
    conn.execute(_INSERT_ENTITIES, (json.dumps(entities, ensure_ascii=False),))
    keys = json.dumps([key for key, _, _ in entities], ensure_ascii=False)
    pks = {str(key): int(pk) for key, pk in conn.execute(_PKS, (keys,))}
    conn.executemany(
        _INSERT_LINK, [(memory, pks[key], at, name, kind) for memory, at, name, kind, key in links]
    )


# The memories after a pk, each with its tags as a JSON array: a batch of an upgrade's linking.
_STORED = (
    "SELECT m.pk, m.content,"
    " (SELECT json_group_array(t.tag) FROM memory_tags t WHERE t.memory_pk = m.pk)"
    " FROM memories m WHERE m.pk > ? ORDER BY m.pk LIMIT ?"
)
LINK_BATCH = 1_000


def link_stored(conn: apsw.Connection) -> int:
    """Link the entities of every memory stored (an upgrade's step: the memories written before
    entities existed have none), in batches of ``LINK_BATCH``; how many memories were read."""
    after, read = 0, 0
    while rows := [
        (int(pk), str(text), list(json.loads(str(tags))))
        for pk, text, tags in conn.execute(_STORED, (after, LINK_BATCH))
    ]:
        link_many(conn, found_in(rows))
        after, read = rows[-1][0], read + len(rows)
    return read


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
