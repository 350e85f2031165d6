"""Reads that sum sessions up without loading them: costs per day and model (a chart), the
message counts of a page of sessions, and the projects that have sessions (a listing's filter)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from memvault.core.session_records import DailyCost, ProjectSessions, SessionCounts
from memvault.storage.postgres.engine import PostgresEngine


class PostgresSessionOverview(PostgresEngine):
    def daily_costs(
        self,
        *,
        project: str | None = None,
        session_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[DailyCost]:
        clauses: list[str] = []
        params: list[Any] = []
        for condition, value in (
            ("s.project = %s", project),
            ("s.id = %s", session_id),
            ("c.created_at >= %s", since),
            ("c.created_at < %s", until),
        ):
            if value is not None:
                clauses.append(condition)
                params.append(value)
        sql = (
            "SELECT substr(c.created_at, 1, 10) AS day, c.model, count(*), sum(c.input_tokens),"
            " sum(c.output_tokens), sum(c.usd) FROM costs c JOIN sessions s ON s.pk = c.session_pk"
            f" WHERE {' AND '.join(clauses) or 'true'} GROUP BY day, c.model ORDER BY day, c.model"
        )
        rows = self._read(lambda conn: conn.execute(sql, params).fetchall())
        # sum() of a bigint is a numeric in PostgreSQL: int() makes it the int SQLite returns
        return [
            DailyCost(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), float(r[5]))
            for r in rows
        ]

    def session_counts(self, session_ids: Sequence[str]) -> dict[str, SessionCounts]:
        if not session_ids:
            return {}
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT s.id, count(x.memory_pk), coalesce(sum(x.tokens), 0) FROM sessions s"
                " LEFT JOIN conversations c ON c.session_pk = s.pk"
                " LEFT JOIN messages x ON x.conversation_pk = c.pk"
                " WHERE s.id = ANY(%s) GROUP BY s.id",
                (list(session_ids),),
            ).fetchall()
        )
        return {str(r[0]): SessionCounts(int(r[1]), int(r[2])) for r in rows}

    def session_projects(self) -> list[ProjectSessions]:
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT project, count(*), max(last_active_at) FROM sessions GROUP BY project"
                " ORDER BY max(last_active_at) DESC, project IS NULL, project"
            ).fetchall()
        )
        return [
            ProjectSessions(None if r[0] is None else str(r[0]), int(r[1]), str(r[2])) for r in rows
        ]
