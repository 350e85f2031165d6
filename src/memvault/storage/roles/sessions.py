"""Sessions, their conversations and messages, handoffs and telemetry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from memvault.core.file_records import (
    FileRecord,
)
from memvault.core.session_records import (
    AgentInteraction,
    Conversation,
    CostEntry,
    CostGrouping,
    CostTotal,
    DailyCost,
    Handoff,
    Message,
    Metric,
    ProjectSessions,
    RoutingDecision,
    Session,
    SessionCounts,
    SessionRecord,
    SessionStatus,
)

if TYPE_CHECKING:
    pass


class SessionStore(Protocol):
    """Sessions, their conversations and messages, handoffs, and their telemetry.

    A message is stored as a memory of kind ``message`` (so keyword and vector search find it,
    see ``MemoryFilter.messages``) in the namespace the caller gives (the session layer uses the
    session's project); what only a message has (role, tokens, summarised, position) is kept
    beside it.
    """

    def put_session(self, session: Session) -> None:
        """Insert the session, or replace its own fields (status, times, title, metadata)."""
        ...

    def put_conversation(self, conversation: Conversation) -> None:
        """Add a conversation to its session (NotFoundError if the session does not exist)."""
        ...

    def get_session(self, session_id: str) -> Session | None: ...

    def list_sessions(
        self,
        *,
        user: str | None = None,
        project: str | None = None,
        agent: str | None = None,
        statuses: Sequence[SessionStatus] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> list[Session]:
        """Most recently active first."""
        ...

    def conversations(self, session_id: str) -> list[Conversation]:
        """Oldest first."""
        ...

    def log_messages(
        self, session_id: str, messages: Sequence[Message], *, namespace: str, embed: bool
    ) -> None:
        """Append messages to conversations of the session, atomically; the session becomes
        active (a paused one too) and its ``last_active_at`` the newest message's time.
        ConflictError when the session is ended or archived; NotFoundError for an unknown
        session or conversation. With ``embed`` each message gets an embed job."""
        ...

    def messages(
        self,
        session_id: str,
        *,
        conversation_id: str | None = None,
        unsummarised: bool = False,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[Message]:
        """In the session's order: as logged, or as its file lists them."""
        ...

    def mark_summarised(self, session_id: str, message_ids: Sequence[str] | None) -> int:
        """Mark these messages of the session (all, with None) as summarised; returns how many
        changed."""
        ...

    def put_handoff(self, handoff: Handoff) -> None: ...

    def handoffs(
        self, *, session_id: str | None = None, project: str | None = None, limit: int = 10
    ) -> list[tuple[Session, Handoff]]:
        """Handoffs with their sessions, newest first: of one session, or of a project's
        sessions."""
        ...

    def session_record(self, session_id: str) -> SessionRecord | None:
        """Everything a session file holds."""
        ...

    def put_session_record(
        self,
        record: SessionRecord,
        *,
        namespace: str,
        embed: bool,
        file: FileRecord | None = None,
    ) -> None:
        """Make the session equal to its file: its fields, conversations, messages (by id:
        new ones added, changed ones updated, missing ones removed) and handoffs; with
        ``file``, record the file it was read from in the same transaction."""
        ...

    def delete_session(self, session_id: str) -> bool:
        """Delete the session with its conversations, messages, handoffs and telemetry."""
        ...

    def log_costs(self, entries: Sequence[CostEntry]) -> None: ...

    def cost_totals(
        self,
        by: CostGrouping,
        *,
        project: str | None = None,
        session_id: str | None = None,
        since: str | None = None,
    ) -> list[CostTotal]:
        """Costs summed per session, project, model or day (UTC), largest first."""
        ...

    def daily_costs(
        self,
        *,
        project: str | None = None,
        session_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[DailyCost]:
        """Costs summed per day (UTC) and model, from ``since`` (inclusive) to ``until``
        (exclusive); by day, then model."""
        ...

    def session_counts(self, session_ids: Sequence[str]) -> dict[str, SessionCounts]:
        """The number of messages and their tokens of each of these sessions (0 for one
        without messages); unknown ids are left out."""
        ...

    def session_projects(self) -> list[ProjectSessions]:
        """Every project that has sessions (None for those without one), with how many it
        has; the most recently active first."""
        ...

    def log_telemetry(
        self,
        *,
        interactions: Sequence[AgentInteraction] = (),
        routing: Sequence[RoutingDecision] = (),
        metrics: Sequence[Metric] = (),
    ) -> None: ...

    def session_telemetry(
        self, session_id: str
    ) -> tuple[list[AgentInteraction], list[RoutingDecision], list[Metric]]: ...

    def archive_idle_sessions(self, idle_before: str, *, dry_run: bool) -> list[str]:
        """Archive sessions (not already archived) last active before ``idle_before``; their
        ids."""
        ...

    def prune_summarised_messages(self, older_than: str, *, dry_run: bool) -> dict[str, int]:
        """Delete summarised messages created before ``older_than`` (never one that is not
        summarised); how many, by session id."""
        ...
