"""``/sessions`` (agents' sessions by project, and what they cost by day and model as a chart)
and ``/sessions/{id}`` (one session: its handoffs first, then its costs and its messages).

Both pages only read, so they are plain functions (Starlette runs them in its thread pool). The
listing counts messages without loading them (``vault.sessions.counts``); a long session's
messages are paged. The chart is SVG drawn here (:mod:`memvault.web.cost_chart`), with a table
of the same numbers under it, so the page needs no JavaScript.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from memvault.core.errors import InvalidInputError, NotFoundError
from memvault.core.session_records import (
    Conversation,
    CostGrouping,
    Handoff,
    Message,
    Session,
    SessionCounts,
    SessionStatus,
)
from memvault.service.vault import Vault
from memvault.web.context import PAGE_SIZE, PageContext
from memvault.web.cost_chart import build_chart, chart_svg

MESSAGES_PER_PAGE = 100
CHART_DAYS = 30  # the range the chart shows unless the form asks for another
MAX_CHART_DAYS = 366
NO_PROJECT = "(no project)"


@dataclass(frozen=True, slots=True)
class MessageGroup:
    """The messages of one conversation on a page of a session (the page may start or end
    inside a conversation), numbered as in the whole session."""

    number: int  # the conversation's, 1-based, oldest first
    conversation: Conversation | None
    first_number: int  # the first message's, in the session
    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A session as the listing shows it: with its message count and its latest handoff."""

    session: Session
    counts: SessionCounts
    handoff: Handoff | None


def routes(context: PageContext) -> list[BaseRoute]:
    def listing(request: Request) -> Response:
        return context.render(request, "sessions.html", **_listing(context.vault, request))

    def one(request: Request) -> Response:
        values = _session_page(context.vault, request)
        return context.render(request, "session.html", **values)

    return [Route("/sessions", listing), Route("/sessions/{session_id}", one)]


def _listing(vault: Vault, request: Request) -> dict[str, Any]:
    params = request.query_params
    project = params.get("project") or None
    status = params.get("status") or None
    page = page_number(params.get("page"))
    statuses = [] if status is None else [status]
    found = vault.sessions.list(
        project=project, statuses=statuses, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    shown = found[:PAGE_SIZE]
    counts = vault.sessions.counts(s.id for s in shown)
    rows = [
        SessionRow(s, counts.get(s.id, SessionCounts(0, 0)), _latest_handoff(vault, s.id))
        for s in shown
    ]
    groups: dict[str, list[SessionRow]] = {}
    for row in rows:  # most recently active first, so the groups are too
        groups.setdefault(row.session.project or NO_PROJECT, []).append(row)
    projects = vault.sessions.projects()
    return {
        "title": "Sessions · memvault",
        "groups": groups,
        "projects": [p for p in projects if p.project is not None],
        "sizes": {p.project or NO_PROJECT: p.sessions for p in projects},
        "project": project,
        "status": status,
        "statuses": [s.value for s in SessionStatus],
        "page": page,
        "has_next": len(found) > PAGE_SIZE,
        **_chart(vault, project, params.get("since"), params.get("until")),
    }


def _latest_handoff(vault: Vault, session_id: str) -> Handoff | None:
    found = vault.sessions.handoffs(session_id=session_id, limit=1)
    return found[0][1] if found else None


def _chart(
    vault: Vault, project: str | None, since: str | None, until: str | None
) -> dict[str, Any]:
    """The chart's range (inclusive days, UTC), its SVG and the numbers for its table."""
    first, last = chart_range(since, until, today=datetime.now(UTC).date())
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    rows = vault.sessions.daily_costs(
        project=project, since=first.isoformat(), until=(last + timedelta(days=1)).isoformat()
    )
    chart = build_chart(rows, days)
    whose = f" of project {project}" if project else ""
    title = f"Costs per day and model{whose}, {first.isoformat()} to {last.isoformat()} (UTC)"
    description = (
        f"Stacked bars of US dollars per day, one colour per model; ${chart.total.usd:,.4f}"
        f" in all over {len(chart.models)} model(s). The table below holds the same numbers."
    )
    return {
        "chart": chart,
        "chart_svg": chart_svg(chart, title=title, description=description),
        "chart_title": title,
        "since": first.isoformat(),
        "until": last.isoformat(),
        "custom_range": since is not None or until is not None,
    }


def chart_range(since: str | None, until: str | None, *, today: date) -> tuple[date, date]:
    """The first and last day the chart shows: the form's dates, else the last 30 days."""
    last = _day(until, "until") if until else today
    first = _day(since, "since") if since else last - timedelta(days=CHART_DAYS - 1)
    if first > last:
        raise InvalidInputError(f"the range starts ({first}) after it ends ({last})")
    if (last - first).days >= MAX_CHART_DAYS:
        raise InvalidInputError(f"the chart shows at most {MAX_CHART_DAYS} days at a time")
    return first, last


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(f"{field} must be a date like 2026-01-31, not {text!r}") from None


def page_number(text: str | None) -> int:
    """The 1-based page of a listing; one clear error for anything else."""
    if text is None or not text.strip():
        return 1
    if not text.strip().isdigit() or not 1 <= int(text) <= 1_000_000:
        raise InvalidInputError(f"page must be a whole number from 1, not {text!r}")
    return int(text)


def _session_page(vault: Vault, request: Request) -> dict[str, Any]:
    session_id = request.path_params["session_id"]
    try:
        session = vault.sessions.get(session_id)
    except InvalidInputError:  # not even the shape of an id: there is no such session either
        raise NotFoundError(f"no session with id {session_id}") from None
    page = page_number(request.query_params.get("page"))
    counts = vault.sessions.counts([session.id])[session.id]
    messages = vault.sessions.messages(
        session.id, limit=MESSAGES_PER_PAGE, offset=(page - 1) * MESSAGES_PER_PAGE
    )
    first_number = (page - 1) * MESSAGES_PER_PAGE + 1
    conversations = vault.sessions.conversations(session.id)
    groups = message_groups(messages, conversations, first_number)
    costs = vault.sessions.costs(CostGrouping.MODEL, session_id=session.id)
    handoffs = [h for _, h in vault.sessions.handoffs(session_id=session.id, limit=1_000)]
    pages = max(1, -(-counts.messages // MESSAGES_PER_PAGE))
    return {
        "title": f"{session.title or 'Session'} · memvault",
        "session": session,
        "counts": counts,
        "messages": messages,
        "groups": groups,
        "many_conversations": len(conversations) > 1,
        "handoffs": handoffs,
        "costs": costs,
        "cost_total": _cost_total(costs),
        "page": page,
        "pages": pages,
        "first_number": first_number,
    }


def message_groups(
    messages: Sequence[Message], conversations: Sequence[Conversation], first_number: int
) -> list[MessageGroup]:
    """The page's messages cut where the conversation changes."""
    numbered = {c.id: (n + 1, c) for n, c in enumerate(conversations)}
    groups: list[MessageGroup] = []
    number = first_number
    for conversation_id, run in groupby(messages, key=lambda m: m.conversation_id):
        said = tuple(run)
        position, conversation = numbered.get(conversation_id, (0, None))
        groups.append(MessageGroup(position, conversation, number, said))
        number += len(said)
    return groups


def _cost_total(costs: list[Any]) -> dict[str, Any]:
    return {
        "calls": sum(c.calls for c in costs),
        "input_tokens": sum(c.input_tokens for c in costs),
        "output_tokens": sum(c.output_tokens for c in costs),
        "usd": sum(c.usd for c in costs),
    }
