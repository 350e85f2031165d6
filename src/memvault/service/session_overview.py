"""Reads of sessions for an overview (the web page's sessions listing and cost chart): costs per
day and model over a time range, the message counts of a page of sessions without loading the
messages, the projects that have sessions, a session and its conversations.

They live apart from :mod:`memvault.service.sessions` (the lifecycle and the log) only to keep
that module readable; :class:`memvault.service.sessions.Sessions` offers them.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from memvault.core import inputs
from memvault.core.errors import InvalidInputError, NotFoundError
from memvault.core.session_records import (
    Conversation,
    DailyCost,
    ProjectSessions,
    Session,
    SessionCounts,
)
from memvault.core.times import normal_timestamp
from memvault.storage.roles import Store

MAX_COUNTED = 1_000  # sessions whose messages one call counts


class SessionOverview:
    _store: Store

    def get(self, session_id: str) -> Session:
        found = self._store.get_session(inputs.memory_id(session_id))
        if found is None:
            raise NotFoundError(f"no session with id {session_id}")
        return found

    def daily_costs(
        self,
        *,
        project: str | None = None,
        session_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> builtins.list[DailyCost]:
        """Costs summed per day (UTC) and model, from ``since`` (inclusive) to ``until``
        (exclusive), ordered by day then model: the bars of a chart of spending."""
        start = None if since is None else normal_timestamp(since)
        end = None if until is None else normal_timestamp(until)
        if start is not None and end is not None and end <= start:
            raise InvalidInputError(f"the range ends ({until}) before it starts ({since})")
        return self._store.daily_costs(
            project=None if project is None else inputs.namespace(project),
            session_id=None if session_id is None else inputs.memory_id(session_id),
            since=start,
            until=end,
        )

    def counts(self, session_ids: Iterable[str]) -> dict[str, SessionCounts]:
        """Messages and tokens of each of these sessions (unknown ids are left out), without
        reading the messages."""
        ids = [inputs.memory_id(i) for i in dict.fromkeys(session_ids)]
        if len(ids) > MAX_COUNTED:
            raise InvalidInputError(f"count the messages of at most {MAX_COUNTED:,} sessions")
        return self._store.session_counts(ids)

    def projects(self) -> builtins.list[ProjectSessions]:
        """The projects that have sessions, most recently active first (None: sessions
        without a project)."""
        return self._store.session_projects()

    def conversations(self, session_id: str) -> builtins.list[Conversation]:
        """The session's conversations, oldest first."""
        return self._store.conversations(self.get(session_id).id)
