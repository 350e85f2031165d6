"""Reads that sum sessions up without loading them: costs per day and model (a chart), the
message counts of a page of sessions, and the projects that have sessions (a listing's filter)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from memvault.core.session_records import DailyCost, ProjectSessions, SessionCounts
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.engine import SqliteEngine


class SqliteSessionOverview(SqliteEngine):
    def daily_costs(
        self,
        *,
        project: str | None = None,
        session_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[DailyCost]:
        clauses, params = [], []
        for condition, value in (
            ("s.project = ?", project),
            ("s.id = ?", session_id),
            ("c.created_at >= ?", since),
            ("c.created_at < ?", until),
        ):
            if value is not None:
                clauses.append(condition)
                params.append(value)
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                "SELECT substr(c.created_at, 1, 10) AS day, c.model, count(*),"
                " sum(c.input_tokens), sum(c.output_tokens), sum(c.usd)"
                " FROM costs c JOIN sessions s ON s.pk = c.session_pk"
                f" WHERE {' AND '.join(clauses) or '1'} GROUP BY day, c.model"
                " ORDER BY day, c.model",
                params,
            ).fetchall()
        )
        return [
            DailyCost(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), float(r[5]))
            for r in rows
        ]

    def session_counts(self, session_ids: Sequence[str]) -> dict[str, SessionCounts]:
        if not session_ids:
            return {}
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                "SELECT s.id, count(x.memory_pk), coalesce(sum(x.tokens), 0) FROM sessions s"
                " LEFT JOIN conversations c ON c.session_pk = s.pk"
                " LEFT JOIN messages x ON x.conversation_pk = c.pk"
                " WHERE s.id IN (SELECT value FROM json_each(?)) GROUP BY s.id",
                (json.dumps(list(session_ids)),),
            ).fetchall()
        )
        return {str(r[0]): SessionCounts(int(r[1]), int(r[2])) for r in rows}

    def session_projects(self) -> list[ProjectSessions]:
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                "SELECT project, count(*), max(last_active_at) FROM sessions GROUP BY project"
                " ORDER BY max(last_active_at) DESC, project IS NULL, project"
            ).fetchall()
        )
        return [
            ProjectSessions(None if r[0] is None else str(r[0]), int(r[1]), str(r[2])) for r in rows
        ]
