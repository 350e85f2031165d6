"""SQL for the rows of memories and their tags, as functions of a connection.

The role classes compose these inside their read and write transactions; keeping them free of
transaction handling lets one write job call several of them atomically (a memory file sync
inserts memories, tags, keyword rows and embed jobs in one transaction).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import apsw

from memvault.core.entity_records import EntityKind, EntityMention
from memvault.core.errors import NotFoundError
from memvault.core.ids import content_hash
from memvault.core.records import (
    InsertOutcome,
    Location,
    Memory,
    MemoryFilter,
    MemoryPatch,
)
from memvault.core.terms import index_aliases
from memvault.storage import entity_links, memory_filter
from memvault.storage.sqlite import entity_rows, vectors

MEMORY_COLUMNS = (
    """
    m.id, m.content, m.kind, m.namespace,
    (SELECT json_group_array(tag) FROM
        (SELECT tag FROM memory_tags t WHERE t.memory_pk = m.pk ORDER BY tag)),
    m.importance, m.confidence, m.source, m.metadata, m.content_hash,
    m.created_at, m.updated_at, m.accessed_at, m.access_count,
    m.valid_from, m.valid_to, m.superseded_by,
    (SELECT json_array(CASE WHEN f.root = '' THEN f.path ELSE f.root || '/' || f.path END,
                       m.line_start, m.line_end, m.heading, m.page)
     FROM files f WHERE f.pk = m.chunk_of),
    (SELECT s.id FROM sessions s WHERE s.pk = m.session_pk),
"""
    + entity_rows.ENTITIES_COLUMN
)


def memory_from_row(row: Sequence[Any]) -> Memory:
    return Memory(
        id=row[0],
        content=row[1],
        kind=row[2],
        namespace=row[3],
        tags=tuple(json.loads(row[4])),
        importance=row[5],
        confidence=row[6],
        source=row[7],
        metadata=json.loads(row[8]),
        content_hash=row[9],
        created_at=row[10],
        updated_at=row[11],
        accessed_at=row[12],
        access_count=row[13],
        valid_from=row[14],
        valid_to=row[15],
        superseded_by=row[16],
        location=None if row[17] is None else Location(*json.loads(row[17])),
        session_id=row[18],
        entities=entity_links.mentions_from_rows(json.loads(row[19])),
    )


def filter_sql(where: MemoryFilter) -> tuple[str, list[Any]]:
    """A SQL condition on alias ``m`` and its parameters (:mod:`memvault.storage.memory_filter`)."""
    return memory_filter.filter_sql(where, "?")


def pk_of(conn: apsw.Connection, memory_id: str) -> int | None:
    row = conn.execute("SELECT pk FROM memories WHERE id = ?", (memory_id,)).fetchone()
    return int(row[0]) if row else None


def fetch(conn: apsw.Connection, memory_id: str) -> Memory | None:
    row = conn.execute(f"SELECT {MEMORY_COLUMNS} FROM memories m WHERE m.id = ?", (memory_id,))
    first = row.fetchone()
    return memory_from_row(first) if first else None


def fetch_many(conn: apsw.Connection, ids: Sequence[str]) -> dict[str, Memory]:
    if not ids:
        return {}
    rows = conn.execute(
        f"SELECT {MEMORY_COLUMNS} FROM memories m WHERE m.id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(ids)),),
    )
    return {memory.id: memory for memory in map(memory_from_row, rows)}


def current_with_hash(conn: apsw.Connection, namespace: str, content_hash: str) -> str | None:
    row = conn.execute(
        "SELECT id FROM memories WHERE namespace = ? AND content_hash = ? AND valid_to IS NULL"
        " AND chunk_of IS NULL AND session_pk IS NULL",
        (namespace, content_hash),
    ).fetchone()
    return str(row[0]) if row else None


_INSERT_MEMORY = (
    "INSERT INTO memories(id, content, kind, namespace, importance, confidence, source,"
    " content_hash, metadata, created_at, updated_at, accessed_at, access_count,"
    " valid_from, valid_to, superseded_by, session_pk)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The pks of a batch just inserted, by id. Not ``RETURNING pk``: inside the writer's savepoint a
# statement with RETURNING cost time in proportion to the database's size (0.04 ms a row at
# 4 MB, 0.3 ms at 30 MB: imports fell to a third at 100,000 memories); this lookup by the id's
# unique index costs the same at any size.
_PKS_OF = "SELECT id, pk FROM memories WHERE id IN (SELECT value FROM json_each(?))"


def insert(
    conn: apsw.Connection,
    memory: Memory,
    *,
    kinds: frozenset[EntityKind],
    session_pk: int | None = None,
) -> InsertOutcome:
    """Insert a memory with its tags, entities (``kinds``: the extractors the vault runs) and
    keyword row; the same content current in its namespace is not inserted again (its id is
    returned). A message (``session_pk``) is never deduped."""
    return insert_many(conn, [memory], kinds=kinds, session_pk=session_pk)[0][0]


def insert_many(
    conn: apsw.Connection,
    memories: Sequence[Memory],
    *,
    kinds: frozenset[EntityKind],
    session_pk: int | None = None,
    entities: Sequence[tuple[EntityMention, ...]] | None = None,
) -> list[tuple[InsertOutcome, int | None]]:
    """:func:`insert` for a batch, with the pk of each created memory (None when deduped).

    One statement per table for the whole batch (``executemany``): per memory, only the dedup
    lookup is a statement of its own. A content repeated inside the batch is deduped against
    its first occurrence, as if the memories had been inserted one by one.
    ``entities``: each memory's entities as found already (``entity_links.entities_of``);
    without them they are found here."""
    results: list[tuple[InsertOutcome, int | None]] = []
    fresh: list[Memory] = []
    mentions: list[tuple[EntityMention, ...]] = []
    seen: dict[tuple[str, str], str] = {}
    for position, memory in enumerate(memories):
        key = (memory.namespace, memory.content_hash)
        if session_pk is None:
            existing = seen.get(key) or current_with_hash(conn, *key)
            if existing is not None:
                results.append((InsertOutcome(existing, created=False), None))
                continue
            if memory.valid_to is None:  # current: what a later copy would have found
                seen[key] = memory.id
        results.append((InsertOutcome(memory.id, created=True), len(fresh)))
        fresh.append(memory)
        mentions.append(
            entity_links.mentions_of(memory, kinds) if entities is None else entities[position]
        )
    conn.executemany(_INSERT_MEMORY, [_row(m, session_pk) for m in fresh])
    pks = _pks_of(conn, [m.id for m in fresh])
    tags = [(pk, tag) for pk, m in zip(pks, fresh, strict=True) for tag in m.tags]
    if tags:
        conn.executemany("INSERT OR IGNORE INTO memory_tags(memory_pk, tag) VALUES (?, ?)", tags)
    conn.executemany(
        "INSERT INTO memories_fts(rowid, content, aliases) VALUES (?, ?, ?)",
        [(pk, m.content, index_aliases(m.content)) for pk, m in zip(pks, fresh, strict=True)],
    )
    entity_rows.link_many(conn, zip(pks, mentions, strict=True))
    return [(outcome, None if at is None else pks[at]) for outcome, at in results]


def _pks_of(conn: apsw.Connection, ids: Sequence[str]) -> list[int]:
    """The pks of the memories ``ids`` name, in their order."""
    if not ids:
        return []
    found = {str(i): int(pk) for i, pk in conn.execute(_PKS_OF, (json.dumps(list(ids)),))}
    return [found[memory_id] for memory_id in ids]


def _row(memory: Memory, session_pk: int | None) -> tuple[Any, ...]:
    return (
        memory.id,
        memory.content,
        memory.kind,
        memory.namespace,
        memory.importance,
        memory.confidence,
        memory.source,
        memory.content_hash,
        metadata_json(memory.metadata),
        memory.created_at,
        memory.updated_at,
        memory.accessed_at,
        memory.access_count,
        memory.valid_from,
        memory.valid_to,
        memory.superseded_by,
        session_pk,
    )


def metadata_json(metadata: dict[str, Any]) -> str:
    """The stored form of metadata: keys sorted, so equal metadata is equal text."""
    return json.dumps(metadata, ensure_ascii=False, sort_keys=True) if metadata else "{}"


def update(
    conn: apsw.Connection,
    pk: int,
    patch: MemoryPatch,
    updated_at: str,
    *,
    kinds: frozenset[EntityKind],
) -> None:
    """Apply ``patch``; the entities are the patch's, or extracted again when the content or
    the tags change."""
    assignments: list[str] = ["updated_at = ?"]
    params: list[Any] = [updated_at]
    simple = {
        "content": patch.content,
        "kind": patch.kind,
        "importance": patch.importance,
        "confidence": patch.confidence,
        "source": patch.source,
    }
    for column, value in simple.items():
        if value is not None:
            assignments.append(f"{column} = ?")
            params.append(value)
    if patch.content is not None:
        assignments.append("content_hash = ?")
        params.append(content_hash(patch.content))
    if patch.metadata is not None:
        assignments.append("metadata = ?")
        params.append(metadata_json(patch.metadata))
    conn.execute(f"UPDATE memories SET {', '.join(assignments)} WHERE pk = ?", (*params, pk))
    if patch.tags is not None:
        conn.execute("DELETE FROM memory_tags WHERE memory_pk = ?", (pk,))
        write_tags(conn, pk, patch.tags)
    if patch.content is not None:
        conn.execute("DELETE FROM memories_fts WHERE rowid = ?", (pk,))
        index_text(conn, pk, patch.content)
    if patch.entities is not None:
        entity_rows.relink(conn, pk, entity_links.in_kind_order(patch.entities))
    elif patch.content is not None or patch.tags is not None:
        relink_extracted(conn, pk, kinds)


def relink_extracted(conn: apsw.Connection, pk: int, kinds: frozenset[EntityKind]) -> None:
    """The memory's entities as its stored text and tags give them now."""
    row = conn.execute(
        "SELECT content, (SELECT json_group_array(tag) FROM memory_tags WHERE memory_pk = ?)"
        " FROM memories WHERE pk = ?",
        (pk, pk),
    ).fetchone()
    if row is not None:
        found = entity_links.extracted(row[0], json.loads(row[1]), kinds)
        entity_rows.relink(conn, pk, found)


def require(conn: apsw.Connection, memory_id: str) -> int:
    """The memory's pk; NotFoundError when there is no such memory."""
    pk = pk_of(conn, memory_id)
    if pk is None:
        raise NotFoundError(f"no memory with id {memory_id}")
    return pk


def delete(conn: apsw.Connection, pk: int) -> None:
    """The memory with its vector and keyword row (tags, edges and events go by cascade)."""
    vectors.delete(conn, pk)
    conn.execute("DELETE FROM memories_fts WHERE rowid = ?", (pk,))
    conn.execute("DELETE FROM memories WHERE pk = ?", (pk,))


def touch(conn: apsw.Connection, pk: int, at: str) -> None:
    conn.execute(
        "UPDATE memories SET accessed_at = ?, access_count = access_count + 1 WHERE pk = ?",
        (at, pk),
    )


def write_tags(conn: apsw.Connection, pk: int, tags: Sequence[str]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO memory_tags(memory_pk, tag) VALUES (?, ?)",
        [(pk, tag) for tag in tags],
    )


def index_text(conn: apsw.Connection, pk: int, content: str, context: str = "") -> None:
    """Add a row to the keyword index; ``context`` (a chunk's title, heading, path) is searched
    with the aliases, below the text itself."""
    aliases = index_aliases(content)
    if context:
        aliases = f"{aliases} {context} {index_aliases(context)}".strip()
    conn.execute(
        "INSERT INTO memories_fts(rowid, content, aliases) VALUES (?, ?, ?)",
        (pk, content, aliases),
    )
