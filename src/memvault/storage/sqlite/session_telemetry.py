"""Costs and telemetry of sessions (agent interactions, routing decisions, metrics).

These rows are kept in the database only: they are measurements, not something a person writes
or reads as a file, so ``reindex`` does not bring them back; a backup of the database does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import apsw

from memvault.core.session_records import (
    AgentInteraction,
    CostEntry,
    CostGrouping,
    CostTotal,
    Metric,
    RoutingDecision,
)
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.engine import SqliteEngine
from memvault.storage.sqlite.sessions import require_session

_GROUP_KEYS = {
    CostGrouping.SESSION: "s.id",
    CostGrouping.PROJECT: "coalesce(s.project, '')",
    CostGrouping.MODEL: "c.model",
    CostGrouping.DAY: "substr(c.created_at, 1, 10)",
}


class SqliteTelemetry(SqliteEngine):
    def log_costs(self, entries: Sequence[CostEntry]) -> None:
        def job(conn: apsw.Connection) -> None:
            for entry in entries:
                conn.execute(
                    "INSERT INTO costs(session_pk, model, input_tokens, output_tokens, usd,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        require_session(conn, entry.session_id),
                        entry.model,
                        entry.input_tokens,
                        entry.output_tokens,
                        entry.usd,
                        entry.created_at,
                    ),
                )

        if entries:
            self._write(job)

    def cost_totals(
        self,
        by: CostGrouping,
        *,
        project: str | None = None,
        session_id: str | None = None,
        since: str | None = None,
    ) -> list[CostTotal]:
        clauses, params = [], []
        for condition, value in (
            ("s.project = ?", project),
            ("s.id = ?", session_id),
            ("c.created_at >= ?", since),
        ):
            if value is not None:
                clauses.append(condition)
                params.append(value)
        key = _GROUP_KEYS[by]
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                f"SELECT {key} AS k, count(*), sum(c.input_tokens), sum(c.output_tokens),"
                " sum(c.usd) FROM costs c JOIN sessions s ON s.pk = c.session_pk"
                f" WHERE {' AND '.join(clauses) or '1'} GROUP BY k"
                " ORDER BY sum(c.usd) DESC, k",
                params,
            ).fetchall()
        )
        return [CostTotal(str(r[0]), int(r[1]), int(r[2]), int(r[3]), float(r[4])) for r in rows]

    def log_telemetry(
        self,
        *,
        interactions: Sequence[AgentInteraction] = (),
        routing: Sequence[RoutingDecision] = (),
        metrics: Sequence[Metric] = (),
    ) -> None:
        def job(conn: apsw.Connection) -> None:
            for i in interactions:
                conn.execute(
                    "INSERT INTO agent_interactions(id, session_pk, agent, task, started_at,"
                    " ended_at, outcome, tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(id) DO UPDATE SET ended_at = excluded.ended_at,"
                    " outcome = excluded.outcome, tokens = excluded.tokens",
                    (
                        i.id,
                        require_session(conn, i.session_id),
                        i.agent,
                        i.task,
                        i.started_at,
                        i.ended_at,
                        i.outcome,
                        i.tokens,
                    ),
                )
            for r in routing:
                conn.execute(
                    "INSERT INTO routing_decisions(id, session_pk, router, chosen, reason,"
                    " confidence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        r.id,
                        require_session(conn, r.session_id),
                        r.router,
                        r.chosen,
                        r.reason,
                        r.confidence,
                        r.created_at,
                    ),
                )
            for m in metrics:
                conn.execute(
                    "INSERT INTO metrics(session_pk, name, value, labels, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        None if m.session_id is None else require_session(conn, m.session_id),
                        m.name,
                        m.value,
                        json.dumps(m.labels, sort_keys=True),
                        m.created_at,
                    ),
                )

        if interactions or routing or metrics:
            self._write(job)

    def session_telemetry(
        self, session_id: str
    ) -> tuple[list[AgentInteraction], list[RoutingDecision], list[Metric]]:
        def job(
            conn: apsw.Connection,
        ) -> tuple[list[AgentInteraction], list[RoutingDecision], list[Metric]]:
            pk = require_session(conn, session_id)
            interactions = [
                AgentInteraction(r[0], session_id, r[1], r[2], r[3], r[4], r[5], r[6])
                for r in conn.execute(
                    "SELECT id, agent, task, started_at, ended_at, outcome, tokens"
                    " FROM agent_interactions WHERE session_pk = ? ORDER BY started_at, pk",
                    (pk,),
                )
            ]
            routing = [
                RoutingDecision(r[0], session_id, r[1], r[2], r[3], r[4], r[5])
                for r in conn.execute(
                    "SELECT id, router, chosen, reason, confidence, created_at"
                    " FROM routing_decisions WHERE session_pk = ? ORDER BY created_at, pk",
                    (pk,),
                )
            ]
            metrics = [
                Metric(r[0], r[1], json.loads(r[2]), r[3], session_id)
                for r in conn.execute(
                    "SELECT name, value, labels, created_at FROM metrics"
                    " WHERE session_pk = ? ORDER BY created_at, pk",
                    (pk,),
                )
            ]
            return interactions, routing, metrics

        return self._read(job)
