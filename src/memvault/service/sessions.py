"""Sessions: where an agent's work happens, what was said, and where it stopped.

``vault.sessions`` starts a session (with its first conversation), logs messages and costs in
batches, writes handoffs, ends, pauses and resumes sessions, reads and searches them. It checks
every value (the same input rules as memories), assigns ids and times, counts tokens with the
bundled tokenizer when an agent does not say, and, in a home with a Markdown folder, renders
each changed session to ``sessions/<project>/<id>.md`` under the folder lock. Messages are
embedded like memories, so past conversations are found by meaning too.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.core.ids import new_id
from memvault.core.records import (
    DEFAULT_NAMESPACE,
    MemoryFilter,
    MessageScope,
    SearchHit,
    SearchMode,
)
from memvault.core.session_records import (
    MAX_LOG_BATCH,
    AgentInteraction,
    Conversation,
    CostEntry,
    CostGrouping,
    CostTotal,
    Handoff,
    Message,
    MessageDraft,
    Metric,
    Role,
    RoutingDecision,
    Session,
    SessionRecord,
    SessionStatus,
)
from memvault.core.times import normal_timestamp, now_iso
from memvault.embedding.tokens import count_tokens
from memvault.folder.markdown_folder import MarkdownFolder
from memvault.service.embeddings import Embeddings
from memvault.service.retention import PruneReport, Retention, RetentionRules
from memvault.service.search import Searcher
from memvault.service.session_overview import SessionOverview
from memvault.storage.roles import Store

MAX_BATCH = MAX_LOG_BATCH  # messages or costs in one call


@dataclass(frozen=True, slots=True)
class CostDraft:
    """One model call's cost, as an agent logs it."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    created_at: str | None = None  # None: now (an import of past spending brings its own)


@dataclass(frozen=True, slots=True)
class HandoffDraft:
    """Where work stopped, as an agent writes it at the end of a session."""

    done: str
    stopped_at: str | None = None
    next_steps: tuple[str, ...] = ()
    open_questions: tuple[str, ...] = ()
    touched: tuple[str, ...] = ()  # ids of memories and notes the work touched


class Sessions(SessionOverview):
    def __init__(
        self,
        store: Store,
        embeddings: Embeddings,
        searcher: Searcher,
        folder: MarkdownFolder | None,
    ) -> None:
        self._store = store
        self._embeddings = embeddings
        self._searcher = searcher
        self._folder = folder
        self._retention = Retention(store, store)

    # --- lifecycle --------------------------------------------------------------------------
    def start(
        self,
        *,
        project: str | None = None,
        user: str | None = None,
        agent: str | None = None,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Session:
        """A new active session with its first conversation."""
        at = now_iso()
        session = Session(
            id=new_id(),
            user=inputs.label(user, "user"),
            project=None if project is None else inputs.namespace(project),
            agent=inputs.label(agent, "agent"),
            title=inputs.label(title, "title"),
            status=SessionStatus.ACTIVE,
            started_at=at,
            last_active_at=at,
            metadata=inputs.metadata(metadata),
        )
        with self._changing(session):
            self._store.put_session(session)
            self._store.put_conversation(Conversation(new_id(), session.id, None, at))
        return session

    def new_conversation(self, session_id: str, *, title: str | None = None) -> Conversation:
        session = self.get(session_id)
        conversation = Conversation(new_id(), session.id, inputs.label(title, "title"), now_iso())
        with self._changing(session):
            self._store.put_conversation(conversation)
        return conversation

    def pause(self, session_id: str) -> Session:
        return self._set_status(session_id, SessionStatus.PAUSED)

    def resume(self, session_id: str) -> Session:
        return self._set_status(session_id, SessionStatus.ACTIVE)

    def end(self, session_id: str, *, handoff: HandoffDraft | None = None) -> Session:
        """End the session, with a handoff of where work stopped (checked before anything is
        written, so a bad handoff leaves the session as it was)."""
        session = self.get(session_id)
        if not session.is_open:
            raise InvalidInputError(f"session {session.id} is {session.status.value} already")
        made = None if handoff is None else self._handoff(session, handoff)
        at = now_iso()
        ended = replace(session, status=SessionStatus.ENDED, ended_at=at, last_active_at=at)
        with self._changing(session):
            if made is not None:
                self._store.put_handoff(made)
            self._store.put_session(ended)
        return ended

    def handoff(self, session_id: str, draft: HandoffDraft) -> Handoff:
        """Record where work stopped without ending the session (a mid-session checkpoint)."""
        session = self.get(session_id)
        made = self._handoff(session, draft)
        with self._changing(session):
            self._store.put_handoff(made)
        return made

    def delete(self, session_id: str) -> None:
        """Delete the session with its conversations, messages, handoffs and costs."""
        session = self.get(session_id)
        with self._changing(session):
            self._store.delete_session(session.id)

    # --- logging ----------------------------------------------------------------------------
    def log(
        self,
        session_id: str,
        messages: Sequence[MessageDraft | str] = (),
        *,
        costs: Sequence[CostDraft] = (),
    ) -> builtins.list[Message]:
        """Append messages (a text alone is the user's) and costs, each batch atomically."""
        if len(messages) > MAX_BATCH or len(costs) > MAX_BATCH:
            raise InvalidInputError(f"log at most {MAX_BATCH:,} messages and costs at a time")
        session = self.get(session_id)
        if not session.is_open:
            raise InvalidInputError(
                f"session {session.id} is {session.status.value}: start a new session to log more"
            )
        latest = self._latest_conversation(session)
        at = now_iso()
        made = [self._message(session, latest, d, at) for d in messages]
        entries = [self._cost(session, c, at) for c in costs]
        with self._changing(session):
            if made:
                self._store.log_messages(
                    session.id,
                    made,
                    namespace=session.project or DEFAULT_NAMESPACE,
                    embed=self._embeddings.enabled,
                )
            self._store.log_costs(entries)
        if made:
            self._embeddings.written()
        return made

    def record(
        self,
        session_id: str,
        *,
        interactions: Sequence[AgentInteraction] = (),
        routing: Sequence[RoutingDecision] = (),
        metrics: Sequence[Metric] = (),
    ) -> None:
        """Telemetry of a session: agent interactions, routing decisions, metrics (database
        only: not in the session's file)."""
        session = self.get(session_id)
        owners = [i.session_id for i in interactions] + [r.session_id for r in routing]
        owners += [m.session_id for m in metrics if m.session_id is not None]
        if any(owner != session.id for owner in owners):
            raise InvalidInputError(f"telemetry for session {session.id} names another session")
        self._store.log_telemetry(interactions=interactions, routing=routing, metrics=metrics)

    def mark_summarised(self, session_id: str, message_ids: Iterable[str] | None = None) -> int:
        """Mark messages (all of the session's, by default) as summarised: retention may then
        delete them once they are old (see :mod:`memvault.service.retention`)."""
        session = self.get(session_id)
        ids = None if message_ids is None else [inputs.memory_id(i) for i in message_ids]
        with self._changing(session):
            return self._store.mark_summarised(session.id, ids)

    # --- reading ----------------------------------------------------------------------------
    def list(
        self,
        *,
        project: str | None = None,
        user: str | None = None,
        agent: str | None = None,
        statuses: Iterable[SessionStatus | str] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[Session]:
        """Most recently active first."""
        inputs.positive(limit, "limit", 10_000)
        return self._store.list_sessions(
            project=None if project is None else inputs.namespace(project),
            user=inputs.label(user, "user"),
            agent=inputs.label(agent, "agent"),
            statuses=[_status(s) for s in statuses],
            limit=limit,
            offset=max(0, offset),
        )

    def show(self, session_id: str) -> SessionRecord:
        """The session with its conversations, messages and handoffs."""
        record = self._store.session_record(self.get(session_id).id)
        assert record is not None  # get() just found it
        return record

    def messages(
        self,
        session_id: str,
        *,
        unsummarised: bool = False,
        limit: int = 1000,
        offset: int = 0,
    ) -> builtins.list[Message]:
        inputs.positive(limit, "limit", 100_000)
        return self._store.messages(
            self.get(session_id).id, unsummarised=unsummarised, limit=limit, offset=offset
        )

    def handoffs(
        self, *, project: str | None = None, session_id: str | None = None, limit: int = 10
    ) -> builtins.list[tuple[Session, Handoff]]:
        """Newest first, each with its session."""
        inputs.positive(limit, "limit", 1_000)
        return self._store.handoffs(
            project=None if project is None else inputs.namespace(project),
            session_id=None if session_id is None else inputs.memory_id(session_id),
            limit=limit,
        )

    def search(
        self,
        query: str,
        *,
        project: str | None = None,
        session_id: str | None = None,
        k: int = 10,
        mode: SearchMode | str = SearchMode.HYBRID,
    ) -> builtins.list[SearchHit]:
        """Past messages, best first (keyword and, once embedded, by meaning)."""
        inputs.positive(k, "k", inputs.MAX_SEARCH_K)
        where = MemoryFilter(
            namespace=None if project is None else inputs.namespace(project),
            messages=MessageScope.ONLY,
            session_id=None if session_id is None else self.get(session_id).id,
        )
        text = inputs.utf8_text(query, "query")
        return self._searcher.search(text, where, k=k, mode=inputs.search_mode(mode))

    def costs(
        self,
        by: CostGrouping | str = CostGrouping.SESSION,
        *,
        project: str | None = None,
        session_id: str | None = None,
        since: str | None = None,
    ) -> builtins.list[CostTotal]:
        """Costs summed per session, project, model or day, largest first."""
        try:
            grouping = CostGrouping(str(by))
        except ValueError as exc:
            raise InvalidInputError(
                f"costs go by session, project, model or day, not {by!r}"
            ) from exc
        return self._store.cost_totals(
            grouping,
            project=None if project is None else inputs.namespace(project),
            session_id=None if session_id is None else inputs.memory_id(session_id),
            since=None if since is None else normal_timestamp(since),
        )

    # --- retention --------------------------------------------------------------------------
    def retention(self) -> RetentionRules:
        return self._retention.rules()

    def set_retention(
        self, *, archive_idle_days: int | None = None, delete_summarised_days: int | None = None
    ) -> RetentionRules:
        return self._retention.set_rules(
            archive_idle_days=archive_idle_days, delete_summarised_days=delete_summarised_days
        )

    def prune(self, *, dry_run: bool = False) -> PruneReport:
        """Archive idle sessions and delete old summarised messages, by the vault's rules
        (see :mod:`memvault.service.retention`); a dry run changes nothing."""
        if dry_run or self._folder is None:
            return self._retention.prune(dry_run=dry_run)
        plan = self._retention.prune(dry_run=True)  # which session files the prune will touch
        planned = [self.get(i) for i in dict.fromkeys([*plan.archived, *plan.deleted])]
        with self._folder.session_files.changing_many(planned) as touched:
            report = self._retention.prune()
            seen = {s.id for s in touched}
            touched += [
                self.get(i)
                for i in dict.fromkeys([*report.archived, *report.deleted])
                if i not in seen
            ]
        return report

    # --- helpers ----------------------------------------------------------------------------
    def _changing(self, session: Session) -> AbstractContextManager[None]:
        """Around a change of the session: its file follows it (nothing in DB-only mode)."""
        if self._folder is None:
            return nullcontext()
        return self._folder.session_files.changing(session)

    def _set_status(self, session_id: str, status: SessionStatus) -> Session:
        session = self.get(session_id)
        if not session.is_open:
            raise InvalidInputError(f"session {session.id} is {session.status.value}")
        changed = replace(session, status=status, last_active_at=now_iso())
        with self._changing(session):
            self._store.put_session(changed)
        return changed

    def _latest_conversation(self, session: Session) -> str:
        found = self._store.conversations(session.id)
        if found:
            return found[-1].id
        conversation = Conversation(new_id(), session.id, None, now_iso())
        self._store.put_conversation(conversation)  # a session started by an older process
        return conversation.id

    def _message(
        self, session: Session, latest: str, draft: MessageDraft | str, at: str
    ) -> Message:
        if isinstance(draft, str):
            draft = MessageDraft(draft)
        content = inputs.content(draft.content)
        return Message(
            id=new_id(),
            session_id=session.id,
            conversation_id=latest
            if draft.conversation_id is None
            else inputs.memory_id(draft.conversation_id),
            role=_role(draft.role),
            content=content,
            tokens=count_tokens(content)
            if draft.tokens is None
            else inputs.count(draft.tokens, "tokens"),
            created_at=at if draft.created_at is None else normal_timestamp(draft.created_at),
            summarised=bool(draft.summarised),
        )

    def _cost(self, session: Session, draft: CostDraft, at: str) -> CostEntry:
        model = inputs.label(draft.model, "model")
        if model is None:
            raise InvalidInputError("a cost needs the model it was spent on")
        return CostEntry(
            session.id,
            model,
            inputs.count(draft.input_tokens, "input_tokens"),
            inputs.count(draft.output_tokens, "output_tokens"),
            inputs.money(draft.usd, "usd"),
            at if draft.created_at is None else normal_timestamp(draft.created_at),
        )

    def _handoff(self, session: Session, draft: HandoffDraft) -> Handoff:
        return Handoff(
            id=new_id(),
            session_id=session.id,
            done=inputs.content(draft.done),
            stopped_at=None if not draft.stopped_at else inputs.content(draft.stopped_at),
            next_steps=tuple(inputs.content(step) for step in draft.next_steps),
            open_questions=tuple(inputs.content(q) for q in draft.open_questions),
            touched=tuple(inputs.memory_id(i) for i in draft.touched),
            created_at=now_iso(),
        )


def _role(value: Role | str) -> Role:
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        raise InvalidInputError(
            f"role {value!r} is not one of: {', '.join(r.value for r in Role)}"
        ) from None


def _status(value: SessionStatus | str) -> SessionStatus:
    try:
        return SessionStatus(str(value).strip().lower())
    except ValueError:
        raise InvalidInputError(
            f"status {value!r} is not one of: {', '.join(s.value for s in SessionStatus)}"
        ) from None
