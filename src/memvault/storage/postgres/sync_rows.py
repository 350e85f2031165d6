"""SQL that makes the index match files (PostgreSQL): memories read from memory files, chunks of
documents. The counterpart of the SQLite engine's ``sync_rows.py``, function for function.

A memory file carries a whole memory (its id, times, relations and validations), so syncing one
is an upsert by id that leaves the row exactly as the file says. Chunks are replaced by id: an
unchanged chunk keeps its id, its vector and its place; only new text is embedded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from memvault.core.entity_records import EntityKind
from memvault.core.errors import ConflictError
from memvault.core.records import Memory, MemoryRecord
from memvault.storage import entity_links
from memvault.storage.postgres import entity_rows, graph, import_rows, jobs, memory_rows, vectors

Connection = psycopg.Connection[Any]

_UPDATE_MEMORY = (
    "UPDATE memories SET content = %s, kind = %s, namespace = %s, importance = %s,"
    " confidence = %s, source = %s, content_hash = %s, metadata = %s, created_at = %s,"
    " updated_at = %s, valid_from = %s, valid_to = %s, superseded_by = %s WHERE pk = %s"
)


def put_memory(
    conn: Connection, memory: Memory, *, embed: bool, kinds: frozenset[EntityKind]
) -> bool:
    """Make the memory's row equal to ``memory`` (from its file); True if it is new.

    ``superseded_by`` is set only when that memory exists already; :func:`put_relations`
    finishes it once every file of a batch is in. The caller runs this in a savepoint: a
    content clash aborts the statement, and only the savepoint's rollback clears it. Unlike
    SQLite's single writer, another server may insert the same content between the dedup
    lookup and the insert; its unique index then says so, and that is the same conflict.
    """
    pk = memory_rows.pk_of(conn, memory.id)
    superseded_by = memory.superseded_by
    if superseded_by is not None and memory_rows.pk_of(conn, superseded_by) is None:
        superseded_by = None
    conflict = ConflictError(
        f"another current memory in namespace {memory.namespace!r} has the same content"
    )
    if pk is None:
        try:
            [(outcome, new_pk)] = memory_rows.insert_many(
                conn, [replace(memory, superseded_by=superseded_by)], kinds=kinds
            )
        except psycopg.errors.UniqueViolation as exc:  # another server's insert won the race
            raise conflict from exc
        if not outcome.created:
            raise conflict
        if embed and new_pk is not None:
            jobs.enqueue(conn, [new_pk])
        return True
    old = conn.execute("SELECT content FROM memories WHERE pk = %s", (pk,)).fetchone()
    try:
        conn.execute(
            _UPDATE_MEMORY,
            (
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
                memory.valid_from,
                memory.valid_to,
                superseded_by,
                pk,
            ),
        )
    except psycopg.errors.UniqueViolation as exc:
        raise conflict from exc
    conn.execute("DELETE FROM memory_tags WHERE memory_pk = %s", (pk,))
    memory_rows.write_tags(conn, pk, memory.tags)
    entity_rows.relink(conn, pk, entity_links.mentions_of(memory, kinds))
    if old is not None and old[0] != memory.content:
        memory_rows.index_text(conn, pk, memory.content)  # replaces the keyword row
        vectors.delete(conn, pk)
        jobs.requeue(conn, pk, embed=embed)
    return False


def put_relations(conn: Connection, record: MemoryRecord, *, embed: bool = False) -> list[str]:
    """Replace the memory's outgoing edges and validations with the file's, and bring back its
    import links; returns warnings. ``embed``: the vault embeds (a link new here says so)."""
    memory = record.memory
    if memory_rows.pk_of(conn, memory.id) is None:
        return []
    warnings: list[str] = []
    if memory.superseded_by is not None:
        if memory_rows.pk_of(conn, memory.superseded_by) is None:
            warnings.append(f"superseded_by {memory.superseded_by} is not a known memory")
        else:
            conn.execute(
                "UPDATE memories SET superseded_by = %s WHERE id = %s",
                (memory.superseded_by, memory.id),
            )
    conn.execute("DELETE FROM edges WHERE source_id = %s", (memory.id,))
    for edge in record.relations:
        if memory_rows.pk_of(conn, edge.target_id) is None:
            warnings.append(f"relation {edge.relation} to {edge.target_id}: no such memory")
            continue
        graph.put_edge(conn, edge)
    conn.execute("DELETE FROM validation_events WHERE memory_id = %s", (memory.id,))
    for event in record.validations:
        graph.put_validation(conn, event)
    import_rows.put_origins(conn, memory.id, record.imports, embed=embed)
    return warnings


def replace_chunks(
    conn: Connection,
    file_pk: int,
    chunks: Sequence[Memory],
    context: str,
    *,
    embed: bool,
    kinds: frozenset[EntityKind],
) -> tuple[int, int]:
    """Make the file's chunks exactly ``chunks`` (ids decide what is kept); (added, removed)."""
    old = {
        str(r[1]): int(r[0])
        for r in conn.execute("SELECT pk, id FROM memories WHERE chunk_of = %s", (file_pk,))
    }
    wanted = {chunk.id for chunk in chunks}
    removed = [pk for memory_id, pk in old.items() if memory_id not in wanted]
    for pk in removed:
        memory_rows.delete(conn, pk)
    added: list[int] = []
    for chunk in chunks:
        location = chunk.location
        assert location is not None  # a chunk always knows where it came from
        place = (location.line_start, location.line_end, location.heading, location.page)
        if chunk.id in old:
            conn.execute(
                "UPDATE memories SET line_start = %s, line_end = %s, heading = %s, page = %s,"
                " kind = %s, namespace = %s, updated_at = %s WHERE pk = %s",
                (*place, chunk.kind, chunk.namespace, chunk.updated_at, old[chunk.id]),
            )
            conn.execute("DELETE FROM memory_tags WHERE memory_pk = %s", (old[chunk.id],))
            memory_rows.write_tags(conn, old[chunk.id], chunk.tags)
            entity_rows.relink(conn, old[chunk.id], entity_links.mentions_of(chunk, kinds))
            continue
        pk = _insert_chunk(conn, file_pk, chunk, place, context)
        entity_rows.link_many(conn, [(pk, entity_links.mentions_of(chunk, kinds))])
        added.append(pk)
    if embed:
        jobs.enqueue(conn, added)
    return len(added), len(removed)


_INSERT_CHUNK = (
    "INSERT INTO memories(id, content, kind, namespace, importance, confidence,"
    " source, content_hash, metadata, created_at, updated_at, valid_from, chunk_of,"
    " line_start, line_end, heading, page)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '{}', %s, %s, %s, %s, %s, %s, %s, %s)"
    " RETURNING pk"
)


def _insert_chunk(
    conn: Connection,
    file_pk: int,
    chunk: Memory,
    place: tuple[int, int, str | None, int | None],
    context: str,
) -> int:
    """A new chunk row with its tags and keyword row (its heading and the file's title and path
    searched with it); ConflictError when its id is another file's."""
    if memory_rows.pk_of(conn, chunk.id) is not None:
        raise ConflictError(
            "another file already has this file's id (a copy?): give the copy an id of "
            "its own, or remove its id line"
        )
    row = conn.execute(
        _INSERT_CHUNK,
        (
            chunk.id,
            chunk.content,
            chunk.kind,
            chunk.namespace,
            chunk.importance,
            chunk.confidence,
            chunk.source,
            chunk.content_hash,
            chunk.created_at,
            chunk.updated_at,
            chunk.valid_from,
            file_pk,
            *place,
        ),
    ).fetchone()
    assert row is not None  # RETURNING yields the written row
    pk = int(row[0])
    memory_rows.write_tags(conn, pk, chunk.tags)
    memory_rows.index_text(conn, pk, chunk.content, f"{context} {place[2] or ''}".strip())
    return pk


def delete_chunks(conn: Connection, file_pk: int) -> int:
    """The file's chunks (their tags, keyword rows, vectors and jobs go by cascade)."""
    gone = conn.execute("DELETE FROM memories WHERE chunk_of = %s RETURNING pk", (file_pk,))
    return len(gone.fetchall())
