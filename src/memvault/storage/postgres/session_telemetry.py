"""Costs and telemetry of sessions (agent interactions, routing decisions, metrics), and the
retention of sessions and their messages (archiving idle sessions, pruning summarised messages).

These rows are kept in the database only: they are measurements, not something a person writes
or reads as a file, so ``reindex`` does not bring them back; a backup of the database does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb

from memvault.core.session_records import (
    AgentInteraction,
    CostEntry,
    CostGrouping,
    CostTotal,
    Metric,
    RoutingDecision,
)
from memvault.storage.postgres import memory_rows
from memvault.storage.postgres.engine import Connection, PostgresEngine
from memvault.storage.postgres.session_rows import require_session, session_pks

_GROUP_KEYS = {
    CostGrouping.SESSION: "s.id",
    CostGrouping.PROJECT: "coalesce(s.project, '')",
    CostGrouping.MODEL: "c.model",
    CostGrouping.DAY: "substr(c.created_at, 1, 10)",
}
Telemetry = tuple[list[AgentInteraction], list[RoutingDecision], list[Metric]]


class PostgresTelemetry(PostgresEngine):
    def log_costs(self, entries: Sequence[CostEntry]) -> None:
        def job(conn: Connection) -> None:
            pks = session_pks(conn, [e.session_id for e in entries])
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO costs(session_pk, model, input_tokens, output_tokens, usd,"
                    " created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                    [
                        (
                            pks[e.session_id],
                            e.model,
                            e.input_tokens,
                            e.output_tokens,
                            e.usd,
                            e.created_at,
                        )
                        for e in entries
                    ],
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
        clauses: list[str] = []
        params: list[Any] = []
        for condition, value in (
            ("s.project = %s", project),
            ("s.id = %s", session_id),
            ("c.created_at >= %s", since),
        ):
            if value is not None:
                clauses.append(condition)
                params.append(value)
        sql = (
            f"SELECT {_GROUP_KEYS[by]} AS k, count(*), sum(c.input_tokens),"
            " sum(c.output_tokens), sum(c.usd) FROM costs c JOIN sessions s ON s.pk = c.session_pk"
            f" WHERE {' AND '.join(clauses) or 'true'} GROUP BY k ORDER BY sum(c.usd) DESC, k"
        )
        rows = self._read(lambda conn: conn.execute(sql, params).fetchall())
        # sum() of a bigint is a numeric in PostgreSQL: int() makes it the int SQLite returns
        return [CostTotal(str(r[0]), int(r[1]), int(r[2]), int(r[3]), float(r[4])) for r in rows]

    def log_telemetry(
        self,
        *,
        interactions: Sequence[AgentInteraction] = (),
        routing: Sequence[RoutingDecision] = (),
        metrics: Sequence[Metric] = (),
    ) -> None:
        if interactions or routing or metrics:
            self._write(lambda conn: _insert_telemetry(conn, interactions, routing, metrics))

    def session_telemetry(self, session_id: str) -> Telemetry:
        def job(conn: Connection) -> Telemetry:
            pk = require_session(conn, session_id, lock=False)
            interactions = [
                AgentInteraction(r[0], session_id, r[1], r[2], r[3], r[4], r[5], r[6])
                for r in conn.execute(
                    "SELECT id, agent, task, started_at, ended_at, outcome, tokens"
                    " FROM agent_interactions WHERE session_pk = %s ORDER BY started_at, pk",
                    (pk,),
                )
            ]
            routing = [
                RoutingDecision(r[0], session_id, r[1], r[2], r[3], r[4], r[5])
                for r in conn.execute(
                    "SELECT id, router, chosen, reason, confidence, created_at"
                    " FROM routing_decisions WHERE session_pk = %s ORDER BY created_at, pk",
                    (pk,),
                )
            ]
            metrics = [
                Metric(r[0], r[1], dict(r[2]), r[3], session_id)
                for r in conn.execute(
                    "SELECT name, value, labels, created_at FROM metrics"
                    " WHERE session_pk = %s ORDER BY created_at, pk",
                    (pk,),
                )
            ]
            return interactions, routing, metrics

        return self._read(job)

    # --- retention ----------------------------------------------------------------------------
    def archive_idle_sessions(self, idle_before: str, *, dry_run: bool) -> list[str]:
        """The sessions not active since ``idle_before``, archived unless ``dry_run``, oldest
        activity first (the pk breaks ties, so a dry run names them in the same order)."""
        select = (
            "SELECT id FROM sessions WHERE status != 'archived' AND last_active_at < %s"
            " ORDER BY last_active_at, pk"
        )
        if dry_run:
            rows = self._read(lambda conn: conn.execute(select, (idle_before,)).fetchall())
            return [str(r[0]) for r in rows]

        def job(conn: Connection) -> list[str]:
            locked = conn.execute(f"{select} FOR NO KEY UPDATE", (idle_before,))
            found = [str(r[0]) for r in locked.fetchall()]
            conn.execute("UPDATE sessions SET status = 'archived' WHERE id = ANY(%s)", (found,))
            return found

        return self._write(job)

    def prune_summarised_messages(self, older_than: str, *, dry_run: bool) -> dict[str, int]:
        """Delete the summarised messages created before ``older_than`` (unless ``dry_run``);
        how many, per session."""
        select = (
            "SELECT m.pk, s.id FROM messages x JOIN memories m ON m.pk = x.memory_pk"
            " JOIN sessions s ON s.pk = m.session_pk"
            " WHERE x.summarised AND m.created_at < %s ORDER BY m.pk"
        )

        def job(conn: Connection) -> dict[str, int]:
            sql = select if dry_run else f"{select} FOR UPDATE OF m"
            counts: dict[str, int] = {}
            for pk, session_id in conn.execute(sql, (older_than,)).fetchall():
                counts[str(session_id)] = counts.get(str(session_id), 0) + 1
                if not dry_run:
                    memory_rows.delete(conn, int(pk))
            return counts

        return self._read(job) if dry_run else self._write(job)


def _insert_telemetry(
    conn: Connection,
    interactions: Sequence[AgentInteraction],
    routing: Sequence[RoutingDecision],
    metrics: Sequence[Metric],
) -> None:
    named = [i.session_id for i in interactions] + [r.session_id for r in routing]
    named += [m.session_id for m in metrics if m.session_id is not None]
    pks = session_pks(conn, named)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO agent_interactions(id, session_pk, agent, task, started_at,"
            " ended_at, outcome, tokens) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT(id) DO UPDATE SET ended_at = excluded.ended_at,"
            " outcome = excluded.outcome, tokens = excluded.tokens",
            [
                (
                    i.id,
                    pks[i.session_id],
                    i.agent,
                    i.task,
                    i.started_at,
                    i.ended_at,
                    i.outcome,
                    i.tokens,
                )
                for i in interactions
            ],
        )
        cur.executemany(
            "INSERT INTO routing_decisions(id, session_pk, router, chosen, reason,"
            " confidence, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (r.id, pks[r.session_id], r.router, r.chosen, r.reason, r.confidence, r.created_at)
                for r in routing
            ],
        )
        cur.executemany(
            "INSERT INTO metrics(session_pk, name, value, labels, created_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            [
                (
                    None if m.session_id is None else pks[m.session_id],
                    m.name,
                    m.value,
                    Jsonb(m.labels),
                    m.created_at,
                )
                for m in metrics
            ],
        )
