"""Records of the session layer: an agent's sessions, what was said in them, where work stopped.

A session belongs to a user, a project and an agent; its conversations hold messages, and its
handoffs say what was done, where work stopped and what is next, so the next session of the
project can start from there (the context pack). Telemetry (agent interactions, routing
decisions, costs, metrics) hangs off a session too. Messages are searchable like memories.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

MAX_LOG_BATCH = 1_000  # messages or costs in one call to log


class SessionStatus(StrEnum):
    ACTIVE = "active"  # an agent is working in it
    PAUSED = "paused"  # work stopped for now, to be resumed
    ENDED = "ended"  # finished (usually with a handoff)
    ARCHIVED = "archived"  # idle long enough for retention to put it away


class Role(StrEnum):
    """Who said a message."""

    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    user: str | None
    project: str | None
    agent: str | None
    title: str | None
    status: SessionStatus
    started_at: str
    last_active_at: str
    ended_at: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        """Whether messages may still be logged (active or paused)."""
        return self.status in (SessionStatus.ACTIVE, SessionStatus.PAUSED)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status.value}


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    session_id: str
    title: str | None
    started_at: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    session_id: str
    conversation_id: str
    role: Role
    content: str
    tokens: int
    created_at: str
    summarised: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "role": self.role.value}


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """A message as an agent logs it; the session layer gives it an id and a time."""

    content: str
    role: Role | str = Role.USER
    tokens: int | None = None  # None: counted with the bundled tokenizer
    conversation_id: str | None = None  # None: the session's latest conversation
    summarised: bool = False
    created_at: str | None = None  # None: now (a file or an import brings its own)


@dataclass(frozen=True, slots=True)
class Handoff:
    """Where a session's work stopped, for whoever picks it up next."""

    id: str
    session_id: str
    done: str
    stopped_at: str | None
    next_steps: tuple[str, ...]
    open_questions: tuple[str, ...]
    touched: tuple[str, ...]  # ids of the memories and notes the work touched
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("next_steps", "open_questions", "touched"):
            data[name] = list(data[name])
        return data


@dataclass(frozen=True, slots=True)
class CostEntry:
    """What one model call cost, in tokens and US dollars."""

    session_id: str
    model: str
    input_tokens: int
    output_tokens: int
    usd: float
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CostGrouping(StrEnum):
    SESSION = "session"
    PROJECT = "project"
    MODEL = "model"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class CostTotal:
    """Costs summed by one key (a session, a project, a model or a day)."""

    key: str
    calls: int
    input_tokens: int
    output_tokens: int
    usd: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DailyCost:
    """Costs of one model on one day (UTC): the cells of a chart of spending over time."""

    day: str  # YYYY-MM-DD, in UTC
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    usd: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SessionCounts:
    """What a session's messages add up to, for a listing that does not load them."""

    messages: int
    tokens: int


@dataclass(frozen=True, slots=True)
class ProjectSessions:
    """A project that has sessions (None: the sessions without a project), how many, and
    when the latest of them was active."""

    project: str | None
    sessions: int
    last_active_at: str


@dataclass(frozen=True, slots=True)
class AgentInteraction:
    """An agent given a task within a session, and how it went."""

    id: str
    session_id: str
    agent: str
    task: str
    started_at: str
    ended_at: str | None = None
    outcome: str | None = None
    tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """Which agent or model a router chose for a request, and why."""

    id: str
    session_id: str
    router: str
    chosen: str
    reason: str | None
    confidence: float | None
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    value: float
    labels: dict[str, str]
    created_at: str
    session_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """Everything a session file holds: the session, its conversations, messages, handoffs."""

    session: Session
    conversations: tuple[Conversation, ...] = ()
    messages: tuple[Message, ...] = ()
    handoffs: tuple[Handoff, ...] = ()
