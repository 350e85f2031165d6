"""SQL that makes the index match files: memories read from memory files, chunks of documents.

A memory file carries a whole memory (its id, times, relations and validations), so syncing one
is an upsert by id that leaves the row exactly as the file says. Chunks are replaced by id: an
unchanged chunk keeps its id, its vector and its place; only new text is embedded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import apsw

from memvault.core.entity_records import EntityKind
from memvault.core.errors import ConflictError
from memvault.core.records import Memory, MemoryRecord
from memvault.storage import entity_links
from memvault.storage.sqlite import entity_rows, graph, import_rows, jobs, memory_rows, vectors


def put_memory(
    conn: apsw.Connection, memory: Memory, *, embed: bool, kinds: frozenset[EntityKind]
) -> bool:
    """Make the memory's row equal to ``memory`` (from its file); True if it is new.

    ``superseded_by`` is set only when that memory exists already; :func:`put_relations`
    finishes it once every file of a batch is in.
    """
    pk = memory_rows.pk_of(conn, memory.id)
    superseded_by = memory.superseded_by
    if superseded_by is not None and memory_rows.pk_of(conn, superseded_by) is None:
        superseded_by = None
    conflict = ConflictError(
        f"another current memory in namespace {memory.namespace!r} has the same content"
    )
    if pk is None:
        outcome = memory_rows.insert(
            conn, replace(memory, superseded_by=superseded_by), kinds=kinds
        )
        if not outcome.created:
            raise conflict
        if embed:
            jobs.enqueue(conn, [memory_rows.pk_of(conn, memory.id) or 0])
        return True
    old = conn.execute("SELECT content FROM memories WHERE pk = ?", (pk,)).fetchone()
    try:
        conn.execute(
            "UPDATE memories SET content = ?, kind = ?, namespace = ?, importance = ?,"
            " confidence = ?, source = ?, content_hash = ?, metadata = ?, created_at = ?,"
            " updated_at = ?, valid_from = ?, valid_to = ?, superseded_by = ? WHERE pk = ?",
            (
                memory.content,
                memory.kind,
                memory.namespace,
                memory.importance,
                memory.confidence,
                memory.source,
                memory.content_hash,
                json.dumps(memory.metadata, ensure_ascii=False, sort_keys=True),
                memory.created_at,
                memory.updated_at,
                memory.valid_from,
                memory.valid_to,
                superseded_by,
                pk,
            ),
        )
    except apsw.ConstraintError as exc:
        raise conflict from exc
    conn.execute("DELETE FROM memory_tags WHERE memory_pk = ?", (pk,))
    memory_rows.write_tags(conn, pk, memory.tags)
    entity_rows.relink(conn, pk, entity_links.mentions_of(memory, kinds))
    if old is not None and old[0] != memory.content:
        conn.execute("DELETE FROM memories_fts WHERE rowid = ?", (pk,))
        memory_rows.index_text(conn, pk, memory.content)
        vectors.delete(conn, pk)
        jobs.requeue(conn, pk, embed=embed)
    return False


def put_relations(conn: apsw.Connection, record: MemoryRecord, *, embed: bool = False) -> list[str]:
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
                "UPDATE memories SET superseded_by = ? WHERE id = ?",
                (memory.superseded_by, memory.id),
            )
    conn.execute("DELETE FROM edges WHERE source_id = ?", (memory.id,))
    for edge in record.relations:
        if memory_rows.pk_of(conn, edge.target_id) is None:
            warnings.append(f"relation {edge.relation} to {edge.target_id}: no such memory")
            continue
        graph.put_edge(conn, edge)
    conn.execute("DELETE FROM validation_events WHERE memory_id = ?", (memory.id,))
    for event in record.validations:
        graph.put_validation(conn, event)
    import_rows.put_origins(conn, memory.id, record.imports, embed=embed)
    return warnings


def replace_chunks(
    conn: apsw.Connection,
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
        for r in conn.execute("SELECT pk, id FROM memories WHERE chunk_of = ?", (file_pk,))
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
                "UPDATE memories SET line_start = ?, line_end = ?, heading = ?, page = ?,"
                " kind = ?, namespace = ?, updated_at = ? WHERE pk = ?",
                (*place, chunk.kind, chunk.namespace, chunk.updated_at, old[chunk.id]),
            )
            conn.execute("DELETE FROM memory_tags WHERE memory_pk = ?", (old[chunk.id],))
            memory_rows.write_tags(conn, old[chunk.id], chunk.tags)
            entity_rows.relink(conn, old[chunk.id], entity_links.mentions_of(chunk, kinds))
            continue
        pk = _insert_chunk(conn, file_pk, chunk, place, context)
        entity_rows.link_many(conn, [(pk, entity_links.mentions_of(chunk, kinds))])
        added.append(pk)
    if embed:
        jobs.enqueue(conn, added)
    return len(added), len(removed)


def _insert_chunk(
    conn: apsw.Connection,
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
    conn.execute(
        "INSERT INTO memories(id, content, kind, namespace, importance, confidence,"
        " source, content_hash, metadata, created_at, updated_at, valid_from, chunk_of,"
        " line_start, line_end, heading, page)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?, ?, ?, ?, ?)",
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
    )
    pk = conn.last_insert_rowid()
    memory_rows.write_tags(conn, pk, chunk.tags)
    memory_rows.index_text(conn, pk, chunk.content, f"{context} {place[2] or ''}".strip())
    return pk


def delete_chunks(conn: apsw.Connection, file_pk: int) -> int:
    pks = [
        int(r[0]) for r in conn.execute("SELECT pk FROM memories WHERE chunk_of = ?", (file_pk,))
    ]
    for pk in pks:
        memory_rows.delete(conn, pk)
    return len(pks)
