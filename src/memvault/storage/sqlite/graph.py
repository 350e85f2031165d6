"""SQL for edges, graph walks and validation events."""

from __future__ import annotations

import json

import apsw

from memvault.core.records import Edge, Neighbour, ValidationEvent, Verdict
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.memory_rows import fetch_many

EDGE_COLUMNS = "source_id, target_id, relation, weight, metadata, created_at"


def edge_from_row(row: Row) -> Edge:
    return Edge(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])


def upsert_edge(conn: apsw.Connection, edge: Edge) -> Edge:
    row = conn.execute(
        f"INSERT INTO edges({EDGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(source_id, target_id, relation)"
        " DO UPDATE SET weight = excluded.weight, metadata = excluded.metadata"
        f" RETURNING {EDGE_COLUMNS}",
        (
            edge.source_id,
            edge.target_id,
            edge.relation,
            edge.weight,
            json.dumps(edge.metadata, ensure_ascii=False, sort_keys=True),
            edge.created_at,
        ),
    ).fetchone()
    assert row is not None  # RETURNING always yields the written row
    return edge_from_row(row)


def delete_edge(conn: apsw.Connection, source_id: str, target_id: str, relation: str) -> bool:
    conn.execute(
        "DELETE FROM edges WHERE source_id = ? AND target_id = ? AND relation = ?",
        (source_id, target_id, relation),
    )
    return conn.changes() > 0


def neighbours(
    conn: apsw.Connection, memory_id: str, depth: int, relation: str | None
) -> list[Neighbour]:
    # Walk both directions; UNION (not UNION ALL) and the depth bound stop cycles.
    rows: list[Row] = conn.execute(
        """
        WITH RECURSIVE walk(node, depth, edge_pk) AS (
            SELECT :start, 0, NULL
            UNION
            SELECT e.target_id, w.depth + 1, e.pk FROM walk w JOIN edges e ON e.source_id = w.node
             WHERE w.depth < :depth AND (:relation IS NULL OR e.relation = :relation)
            UNION
            SELECT e.source_id, w.depth + 1, e.pk FROM walk w JOIN edges e ON e.target_id = w.node
             WHERE w.depth < :depth AND (:relation IS NULL OR e.relation = :relation)
        )
        SELECT node, min(depth) AS d, edge_pk FROM walk WHERE node != :start
        GROUP BY node ORDER BY d, node
        """,
        {"start": memory_id, "depth": depth, "relation": relation},
    ).fetchall()
    if not rows:
        return []
    memories = fetch_many(conn, [r[0] for r in rows])
    edge_rows = conn.execute(
        f"SELECT pk, {EDGE_COLUMNS} FROM edges WHERE pk IN (SELECT value FROM json_each(?))",
        (json.dumps([r[2] for r in rows]),),
    ).fetchall()
    edges = {row[0]: edge_from_row(row[1:]) for row in edge_rows}
    return [
        Neighbour(memory=memories[node], edge=edges[edge_pk], depth=d)
        for node, d, edge_pk in rows
        if node in memories and edge_pk in edges
    ]


def insert_validation(conn: apsw.Connection, event: ValidationEvent) -> None:
    conn.execute(
        "INSERT INTO validation_events(id, memory_id, verdict, actor, note,"
        " confidence_before, confidence_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event.id,
            event.memory_id,
            event.verdict.value,
            event.actor,
            event.note,
            event.confidence_before,
            event.confidence_after,
            event.created_at,
        ),
    )


def validation_history(conn: apsw.Connection, memory_id: str) -> list[ValidationEvent]:
    rows: list[Row] = conn.execute(
        "SELECT id, memory_id, verdict, actor, note, confidence_before, confidence_after,"
        " created_at FROM validation_events WHERE memory_id = ? ORDER BY created_at, pk",
        (memory_id,),
    ).fetchall()
    return [ValidationEvent(r[0], r[1], Verdict(r[2]), r[3], r[4], r[5], r[6], r[7]) for r in rows]
