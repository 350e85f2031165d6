"""The graph role of the PostgreSQL engine: typed edges, walks around a memory, validation
events. The helpers at the top are shared with the transactions of other roles."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from memvault.core.errors import NotFoundError
from memvault.core.records import Edge, Neighbour, ValidationEvent, Verdict
from memvault.storage.postgres import memory_rows
from memvault.storage.postgres.engine import PostgresEngine
from memvault.storage.roles import ConfidenceRule

Connection = psycopg.Connection[Any]
EDGE_COLUMNS = "source_id, target_id, relation, weight, metadata, created_at"


def edge_from_row(row: Any) -> Edge:
    return Edge(row[0], row[1], row[2], row[3], dict(row[4]), row[5])


def put_edge(conn: Connection, edge: Edge) -> Edge:
    row = conn.execute(
        f"INSERT INTO edges({EDGE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT(source_id, target_id, relation)"
        " DO UPDATE SET weight = excluded.weight, metadata = excluded.metadata"
        f" RETURNING {EDGE_COLUMNS}",
        (
            edge.source_id,
            edge.target_id,
            edge.relation,
            edge.weight,
            Jsonb(edge.metadata),
            edge.created_at,
        ),
    ).fetchone()
    assert row is not None  # RETURNING always yields the written row
    return edge_from_row(row)


def put_validation(conn: Connection, event: ValidationEvent) -> None:
    conn.execute(
        "INSERT INTO validation_events(id, memory_id, verdict, actor, note,"
        " confidence_before, confidence_after, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
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


def outgoing_edges(conn: Connection, memory_id: str) -> list[Edge]:
    """The memory's own edges, in the order its file lists them."""
    return [
        edge_from_row(row)
        for row in conn.execute(
            f"SELECT {EDGE_COLUMNS} FROM edges WHERE source_id = %s"
            " ORDER BY created_at, target_id, relation",
            (memory_id,),
        )
    ]


def validations(conn: Connection, memory_id: str) -> list[ValidationEvent]:
    rows = conn.execute(
        "SELECT id, memory_id, verdict, actor, note, confidence_before, confidence_after,"
        " created_at FROM validation_events WHERE memory_id = %s ORDER BY created_at, pk",
        (memory_id,),
    ).fetchall()
    return [ValidationEvent(r[0], r[1], Verdict(r[2]), r[3], r[4], r[5], r[6], r[7]) for r in rows]


class PostgresGraph(PostgresEngine):
    def upsert_edge(self, edge: Edge) -> Edge:
        def job(conn: Connection) -> Edge:
            memory_rows.require(conn, edge.source_id)
            memory_rows.require(conn, edge.target_id)
            return put_edge(conn, edge)

        return self._write(job)

    def edge_sources(self, memory_id: str) -> list[str]:
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT DISTINCT source_id FROM edges WHERE target_id = %s", (memory_id,)
            ).fetchall()
        )
        return [str(r[0]) for r in rows]

    def neighbours(
        self, memory_id: str, *, depth: int, relation: str | None = None
    ) -> list[Neighbour]:
        def job(conn: Connection) -> list[Neighbour]:
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
        def job(conn: Connection) -> ValidationEvent:
            row = conn.execute(
                "SELECT confidence FROM memories WHERE id = %s FOR UPDATE", (memory_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no memory with id {memory_id}")
            before = float(row[0])
            after = min(1.0, max(0.0, rule(before, verdict)))
            conn.execute(
                "UPDATE memories SET confidence = %s, updated_at = %s WHERE id = %s",
                (after, at, memory_id),
            )
            event = ValidationEvent(event_id, memory_id, verdict, actor, note, before, after, at)
            put_validation(conn, event)
            return event

        return self._write(job)

    def validation_history(self, memory_id: str) -> list[ValidationEvent]:
        return self._read(lambda conn: validations(conn, memory_id))


def _walk(conn: Connection, memory_id: str, depth: int, relation: str | None) -> list[Neighbour]:
    # Walk both directions; UNION (not UNION ALL) and the depth bound stop cycles. PostgreSQL
    # allows one recursive reference per query, so both directions come from one join.
    rows = conn.execute(
        """
        WITH RECURSIVE walk(node, depth, edge_pk) AS (
            SELECT %(start)s::text COLLATE "C", 0, NULL::bigint
            UNION
            SELECT CASE WHEN e.source_id = w.node THEN e.target_id ELSE e.source_id END,
                   w.depth + 1, e.pk
              FROM walk w JOIN edges e ON e.source_id = w.node OR e.target_id = w.node
             WHERE w.depth < %(depth)s
               AND (%(relation)s::text IS NULL OR e.relation = %(relation)s::text)
        )
        SELECT DISTINCT ON (node) node, depth, edge_pk FROM walk WHERE node != %(start)s
        ORDER BY node, depth, edge_pk
        """,
        {"start": memory_id, "depth": depth, "relation": relation},
    ).fetchall()
    if not rows:
        return []
    rows.sort(key=lambda r: (r[1], r[0]))
    memories = memory_rows.fetch_many(conn, [r[0] for r in rows])
    edge_rows = conn.execute(
        f"SELECT pk, {EDGE_COLUMNS} FROM edges WHERE pk = ANY(%s)", ([r[2] for r in rows],)
    ).fetchall()
    edges = {row[0]: edge_from_row(row[1:]) for row in edge_rows}
    return [
        Neighbour(memory=memories[node], edge=edges[edge_pk], depth=d)
        for node, d, edge_pk in rows
        if node in memories and edge_pk in edges
    ]
