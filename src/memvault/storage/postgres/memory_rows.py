"""SQL for the rows of memories and their tags, as functions of a connection (PostgreSQL).

The counterpart of the SQLite engine's ``memory_rows.py``, function for function: the role
classes compose these inside one transaction, so a write job can call several atomically. What
cascades by foreign key here (tags, keyword rows, vectors, edges, events) needs no statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

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
from memvault.storage import entity_links, memory_filter
from memvault.storage.postgres import entity_rows, keyword_rows

Connection = psycopg.Connection[Any]

MEMORY_COLUMNS = (
    """
    m.id, m.content, m.kind, m.namespace,
    ARRAY(SELECT tag FROM memory_tags t WHERE t.memory_pk = m.pk ORDER BY tag),
    m.importance, m.confidence, m.source, m.metadata, m.content_hash,
    m.created_at, m.updated_at, m.accessed_at, m.access_count,
    m.valid_from, m.valid_to, m.superseded_by,
    (SELECT json_build_array(CASE WHEN f.root = '' THEN f.path ELSE f.root || '/' || f.path END,
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
        tags=tuple(row[4]),
        importance=row[5],
        confidence=row[6],
        source=row[7],
        metadata=dict(row[8]),
        content_hash=row[9],
        created_at=row[10],
        updated_at=row[11],
        accessed_at=row[12],
        access_count=row[13],
        valid_from=row[14],
        valid_to=row[15],
        superseded_by=row[16],
        location=None if row[17] is None else Location(*row[17]),
        session_id=row[18],
        entities=entity_links.mentions_from_rows(row[19]),
    )


def filter_sql(where: MemoryFilter) -> tuple[str, list[Any]]:
    """A SQL condition on alias ``m`` and its parameters (:mod:`memvault.storage.memory_filter`)."""
    return memory_filter.filter_sql(where, "%s")


def pk_of(conn: Connection, memory_id: str) -> int | None:
    row = conn.execute("SELECT pk FROM memories WHERE id = %s", (memory_id,)).fetchone()
    return int(row[0]) if row else None


def fetch(conn: Connection, memory_id: str) -> Memory | None:
    row = conn.execute(
        f"SELECT {MEMORY_COLUMNS} FROM memories m WHERE m.id = %s", (memory_id,)
    ).fetchone()
    return memory_from_row(row) if row else None


def fetch_many(conn: Connection, ids: Sequence[str]) -> dict[str, Memory]:
    if not ids:
        return {}
    rows = conn.execute(
        f"SELECT {MEMORY_COLUMNS} FROM memories m WHERE m.id = ANY(%s)", (list(ids),)
    )
    return {memory.id: memory for memory in map(memory_from_row, rows)}


def _current(conn: Connection, memories: Sequence[Memory]) -> dict[tuple[str, str], str]:
    """(namespace, content hash) → id of the current memories that have the content of one of
    ``memories``: one query for a whole batch (a lookup per memory was a round trip each)."""
    if not memories:
        return {}
    rows = conn.execute(
        "SELECT m.namespace, m.content_hash, m.id FROM memories m"
        " JOIN unnest(%s::text[], %s::text[]) AS k(namespace, content_hash)"
        " ON m.namespace = k.namespace AND m.content_hash = k.content_hash"
        " WHERE m.valid_to IS NULL AND m.chunk_of IS NULL AND m.session_pk IS NULL",
        ([m.namespace for m in memories], [m.content_hash for m in memories]),
    )
    return {(str(r[0]), str(r[1])): str(r[2]) for r in rows}


_INSERT_MEMORY = (
    "INSERT INTO memories(id, content, kind, namespace, importance, confidence, source,"
    " content_hash, metadata, created_at, updated_at, accessed_at, access_count,"
    " valid_from, valid_to, superseded_by, session_pk)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " RETURNING pk"
)


def insert(
    conn: Connection,
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
    conn: Connection,
    memories: Sequence[Memory],
    *,
    kinds: frozenset[EntityKind],
    session_pk: int | None = None,
    entities: Sequence[tuple[EntityMention, ...]] | None = None,
) -> list[tuple[InsertOutcome, int | None]]:
    """:func:`insert` for a batch, with the pk of each created memory (None when deduped).

    A content repeated inside the batch is deduped against its first occurrence, as if the
    memories had been inserted one by one. Another server inserting the same content at the same
    moment loses at the unique index (``memories_current_content``) and its caller sees a
    conflict, as a second SQLite process would see the first one's row. ``entities``:
    each memory's entities as found already (``entity_links.entities_of``); without them
    they are found here."""
    results: list[tuple[InsertOutcome, int | None]] = []
    fresh: list[Memory] = []
    mentions: list[tuple[EntityMention, ...]] = []
    seen: dict[tuple[str, str], str] = {} if session_pk is not None else _current(conn, memories)
    for position, memory in enumerate(memories):
        key = (memory.namespace, memory.content_hash)
        if session_pk is None:
            existing = seen.get(key)
            if existing is not None:
                results.append((InsertOutcome(existing, created=False), None))
                continue
            if memory.valid_to is None:
                seen[key] = memory.id
        results.append((InsertOutcome(memory.id, created=True), len(fresh)))
        fresh.append(memory)
        mentions.append(
            entity_links.mentions_of(memory, kinds) if entities is None else entities[position]
        )
    pks: list[int] = []
    if fresh:
        with conn.cursor() as cur:
            cur.executemany(_INSERT_MEMORY, [_row(m, session_pk) for m in fresh], returning=True)
            while True:
                row = cur.fetchone()
                assert row is not None
                pks.append(int(row[0]))
                if not cur.nextset():
                    break
    tags = [(pk, tag) for pk, m in zip(pks, fresh, strict=True) for tag in m.tags]
    if tags:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO memory_tags(memory_pk, tag) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                tags,
            )
    keyword_rows.index_many(conn, [(pk, m.content, "") for pk, m in zip(pks, fresh, strict=True)])
    entity_rows.link_many(conn, zip(pks, mentions, strict=True))
    return [(outcome, None if at is None else pks[at]) for outcome, at in results]


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
        Jsonb(memory.metadata),
        memory.created_at,
        memory.updated_at,
        memory.accessed_at,
        memory.access_count,
        memory.valid_from,
        memory.valid_to,
        memory.superseded_by,
        session_pk,
    )


def update(
    conn: Connection,
    pk: int,
    patch: MemoryPatch,
    updated_at: str,
    *,
    kinds: frozenset[EntityKind],
) -> None:
    """Apply ``patch``; the entities are the patch's, or extracted again when the content or
    the tags change."""
    assignments: list[str] = ["updated_at = %s"]
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
            assignments.append(f"{column} = %s")
            params.append(value)
    if patch.content is not None:
        assignments.append("content_hash = %s")
        params.append(content_hash(patch.content))
    if patch.metadata is not None:
        assignments.append("metadata = %s")
        params.append(Jsonb(patch.metadata))
    conn.execute(f"UPDATE memories SET {', '.join(assignments)} WHERE pk = %s", (*params, pk))
    if patch.tags is not None:
        conn.execute("DELETE FROM memory_tags WHERE memory_pk = %s", (pk,))
        write_tags(conn, pk, patch.tags)
    if patch.content is not None:
        keyword_rows.index_many(conn, [(pk, patch.content, "")])
    if patch.entities is not None:
        entity_rows.relink(conn, pk, entity_links.in_kind_order(patch.entities))
    elif patch.content is not None or patch.tags is not None:
        relink_extracted(conn, pk, kinds)


def relink_extracted(conn: Connection, pk: int, kinds: frozenset[EntityKind]) -> None:
    """The memory's entities as its stored text and tags give them now."""
    row = conn.execute(
        "SELECT content, ARRAY(SELECT tag FROM memory_tags WHERE memory_pk = %s ORDER BY tag)"
        " FROM memories WHERE pk = %s",
        (pk, pk),
    ).fetchone()
    if row is not None:
        entity_rows.relink(conn, pk, entity_links.extracted(row[0], list(row[1]), kinds))


def require(conn: Connection, memory_id: str) -> int:
    """The memory's pk; NotFoundError when there is no such memory."""
    pk = pk_of(conn, memory_id)
    if pk is None:
        raise NotFoundError(f"no memory with id {memory_id}")
    return pk


def delete(conn: Connection, pk: int) -> None:
    """The memory; its tags, keyword row, vector, edges and events go by cascade."""
    conn.execute("DELETE FROM memories WHERE pk = %s", (pk,))


def touch(conn: Connection, pk: int, at: str) -> None:
    conn.execute(
        "UPDATE memories SET accessed_at = %s, access_count = access_count + 1 WHERE pk = %s",
        (at, pk),
    )


def write_tags(conn: Connection, pk: int, tags: Sequence[str]) -> None:
    if tags:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO memory_tags(memory_pk, tag) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                [(pk, tag) for tag in tags],
            )


def index_text(conn: Connection, pk: int, content: str, context: str = "") -> None:
    """The memory's keyword row; ``context`` (a chunk's title, heading, path) is searched with
    the aliases, below the text itself."""
    keyword_rows.index_many(conn, [(pk, content, context)])
