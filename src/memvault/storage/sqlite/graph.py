"""The graph role of the SQLite engine: typed edges, walks around a memory, validation events.

The helpers at the top (``put_edge``, ``put_validation``, …) are shared with the transactions of
other roles: a supersede adds an edge, a memory file sync replaces a memory's edges and events.
"""

from __future__ import annotations

import json

import apsw

from memvault.core.errors import NotFoundError
from memvault.core.records import Edge, Neighbour, ValidationEvent, Verdict
from memvault.storage.roles import ConfidenceRule
from memvault.storage.sqlite import memory_rows
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.engine import SqliteEngine

EDGE_COLUMNS = "source_id, target_id, relation, weight, metadata, created_at"


def edge_from_row(row: Row) -> Edge:
    return Edge(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])


def put_edge(conn: apsw.Connection, edge: Edge) -> Edge:
    # Then read back, not RETURNING: in the writer's savepoint that costs in proportion to the
    # database's size (storage/sqlite/memory_rows.py).
    conn.execute(
        f"INSERT INTO edges({EDGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(source_id, target_id, relation)"
        " DO UPDATE SET weight = excluded.weight, metadata = excluded.metadata",
        (
            edge.source_id,
            edge.target_id,
            edge.relation,
            edge.weight,
            json.dumps(edge.metadata, ensure_ascii=False, sort_keys=True),
            edge.created_at,
        ),
    )
    row = conn.execute(
        f"SELECT {EDGE_COLUMNS} FROM edges WHERE source_id = ? AND target_id = ? AND relation = ?",
        (edge.source_id, edge.target_id, edge.relation),
    ).fetchone()
    assert row is not None  # written just now
    return edge_from_row(row)


def put_validation(conn: apsw.Connection, event: ValidationEvent) -> None:
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


def outgoing_edges(conn: apsw.Connection, memory_id: str) -> list[Edge]:
    """The memory's own edges, in the order its file lists them."""
    return [
        edge_from_row(row)
        for row in conn.execute(
            f"SELECT {EDGE_COLUMNS} FROM edges WHERE source_id = ?"
            " ORDER BY created_at, target_id, relation",
            (memory_id,),
        )
    ]


def validations(conn: apsw.Connection, memory_id: str) -> list[ValidationEvent]:
    rows: list[Row] = conn.execute(
        "SELECT id, memory_id, verdict, actor, note, confidence_before, confidence_after,"
        " created_at FROM validation_events WHERE memory_id = ? ORDER BY created_at, pk",
        (memory_id,),
    ).fetchall()
    return [ValidationEvent(r[0], r[1], Verdict(r[2]), r[3], r[4], r[5], r[6], r[7]) for r in rows]


class SqliteGraph(SqliteEngine):
    def upsert_edge(self, edge: Edge) -> Edge:
        def job(conn: apsw.Connection) -> Edge:
            memory_rows.require(conn, edge.source_id)
            memory_rows.require(conn, edge.target_id)
            return put_edge(conn, edge)

        return self._write(job)

    def edge_sources(self, memory_id: str) -> list[str]:
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT DISTINCT source_id FROM edges WHERE target_id = ?", (memory_id,)
            ).fetchall()
        )
        return [str(r[0]) for r in rows]

    def neighbours(
        self, memory_id: str, *, depth: int, relation: str | None = None
    ) -> list[Neighbour]:
        def job(conn: apsw.Connection) -> list[Neighbour]:
            memory_rows.require(conn, memory_id)
            return _walk(conn, memory_id, depth, relation)

        return self._read(job)

    def record_validation(
        self,
        memory_id: str,
        verdict: Verdict,
        *,
        rule: ConfidenceRule,
        actor: str | None,
        note: str | None,
        event_id: str,
        at: str,
    ) -> ValidationEvent:
        def job(conn: apsw.Connection) -> ValidationEvent:
            row: Row | None = conn.execute(
                "SELECT confidence FROM memories WHERE id = ?", (memory_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no memory with id {memory_id}")
            before = float(row[0])
            after = min(1.0, max(0.0, rule(before, verdict)))
            conn.execute(
                "UPDATE memories SET confidence = ?, updated_at = ? WHERE id = ?",
                (after, at, memory_id),
            )
            event = ValidationEvent(event_id, memory_id, verdict, actor, note, before, after, at)
            put_validation(conn, event)
            return event

        return self._write(job)

    def validation_history(self, memory_id: str) -> list[ValidationEvent]:
        return self._read(lambda conn: validations(conn, memory_id))


def _walk(
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
    memories = memory_rows.fetch_many(conn, [r[0] for r in rows])
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
