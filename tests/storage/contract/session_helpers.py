"""Building sessions, conversations and messages for contract tests, through the protocols only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from memvault.core.ids import new_id
from memvault.core.records import MemoryFilter, MessageScope
from memvault.core.session_records import (
    Conversation,
    Handoff,
    Message,
    Role,
    Session,
    SessionStatus,
)
from memvault.core.terms import parse_query
from memvault.storage.roles import Store

NAMESPACE = "shop"  # where the messages of these tests are kept unless told otherwise
MESSAGES = MemoryFilter(messages=MessageScope.ONLY)
WITH_MESSAGES = MemoryFilter(messages=MessageScope.INCLUDE)


def at(minute: int, day: int = 1) -> str:
    """A time on 2026-01-``day``: ``minute`` minutes after 10:00 UTC (up to 839: 23:59)."""
    assert 0 <= minute <= 839, minute
    hours, minutes = divmod(600 + minute, 60)
    return f"2026-01-{day:02d}T{hours:02d}:{minutes:02d}:00.000000Z"


def session(
    session_id: str | None = None,
    *,
    user: str | None = "ana",
    project: str | None = "shop",
    agent: str | None = "coder",
    title: str | None = None,
    status: SessionStatus = SessionStatus.ACTIVE,
    started_at: str | None = None,
    last_active_at: str | None = None,
    ended_at: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Session:
    started = started_at or at(0)
    return Session(
        id=session_id or new_id(),
        user=user,
        project=project,
        agent=agent,
        title=title,
        status=status,
        started_at=started,
        last_active_at=last_active_at or started,
        ended_at=ended_at,
        metadata=dict(metadata or {}),
    )


def conversation(
    of: Session,
    conversation_id: str | None = None,
    *,
    title: str | None = None,
    started_at: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Conversation:
    return Conversation(
        conversation_id or new_id(),
        of.id,
        title,
        started_at or of.started_at,
        dict(metadata or {}),
    )


def message(
    of: Conversation,
    content: str,
    *,
    created_at: str,
    role: Role = Role.USER,
    tokens: int | None = None,
    summarised: bool = False,
    message_id: str | None = None,
) -> Message:
    return Message(
        message_id or new_id(),
        of.session_id,
        of.id,
        role,
        content,
        len(content.split()) if tokens is None else tokens,
        created_at,
        summarised,
    )


def handoff(
    of: Session,
    done: str,
    *,
    created_at: str,
    stopped_at: str | None = None,
    next_steps: tuple[str, ...] = (),
    open_questions: tuple[str, ...] = (),
    touched: tuple[str, ...] = (),
    handoff_id: str | None = None,
) -> Handoff:
    return Handoff(
        handoff_id or new_id(),
        of.id,
        done,
        stopped_at,
        next_steps,
        open_questions,
        touched,
        created_at,
    )


def start(store: Store, **fields: Any) -> tuple[Session, Conversation]:
    """Put a session (``fields`` as :func:`session` takes them) with one conversation."""
    opened = session(**fields)
    store.put_session(opened)
    first = conversation(opened)
    store.put_conversation(first)
    return opened, first


def say(
    store: Store,
    where: Conversation,
    *texts: str,
    first_minute: int = 1,
    namespace: str = NAMESPACE,
    embed: bool = False,
    summarised: bool = False,
) -> list[Message]:
    """Log one message per text, a minute apart from ``first_minute`` on; the messages."""
    said = [
        message(where, text, created_at=at(first_minute + n), summarised=summarised)
        for n, text in enumerate(texts)
    ]
    store.log_messages(where.session_id, said, namespace=namespace, embed=embed)
    return said


def found(store: Store, text: str, where: MemoryFilter = MESSAGES) -> set[str]:
    """Ids a keyword search for ``text`` finds under ``where`` (messages only, by default)."""
    return {i for i, _ in store.keyword_search(parse_query(text), where, limit=100)}


def ids(messages: list[Message]) -> list[str]:
    return [m.id for m in messages]
