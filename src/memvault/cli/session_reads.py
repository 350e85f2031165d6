"""``memvault session list|show|search|prune``: reading sessions, and their retention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json, relevance, short
from memvault.cli.state import state
from memvault.core.errors import InvalidInputError
from memvault.core.records import SearchHit
from memvault.core.session_records import (
    CostGrouping,
    Handoff,
    Session,
    SessionRecord,
    SessionStatus,
)

if TYPE_CHECKING:  # for annotations only: start-up stays light
    from memvault.service.retention import PruneReport


def list_sessions(
    ctx: typer.Context,
    project: Annotated[str | None, typer.Option("--project", "-p")] = None,
    user: Annotated[str | None, typer.Option("--user", "-u")] = None,
    agent: Annotated[str | None, typer.Option("--agent", "-a")] = None,
    status: Annotated[
        list[SessionStatus] | None, typer.Option("--status", help="Status (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    json_out: JsonFlag = False,
) -> None:
    """Sessions, most recently active first."""
    found = (
        state(ctx)
        .vault()
        .sessions.list(project=project, user=user, agent=agent, statuses=status or (), limit=limit)
    )
    if json_out:
        print_json({"sessions": [s.to_dict() for s in found], "count": len(found)})
        return
    if not found:
        console.print("no sessions")
    for session in found:
        console.print(_session_line(session))


def _session_line(session: Session) -> str:
    """One session per line: its id (to copy), status, last activity, who and what."""
    when = session.last_active_at[:16].replace("T", " ")
    who = " · ".join(p for p in (session.project, session.agent, session.user) if p)
    line = f"[dim]{session.id}[/dim]  {session.status.value:<8} {when}"
    if who:
        line += f"  {escape(who)}"
    if session.title:
        line += f"  [bold]{escape(session.title)}[/bold]"
    return line


def show(
    ctx: typer.Context,
    session_id: Annotated[str, typer.Argument(metavar="SESSION_ID")],
    json_out: JsonFlag = False,
) -> None:
    """A session with its messages, handoffs and costs (per model)."""
    sessions = state(ctx).vault().sessions
    record = sessions.show(session_id)
    costs = sessions.costs(CostGrouping.MODEL, session_id=record.session.id)
    if json_out:
        print_json(
            {
                "session": record.session.to_dict(),
                "conversations": [c.to_dict() for c in record.conversations],
                "messages": [m.to_dict() for m in record.messages],
                "handoffs": [h.to_dict() for h in record.handoffs],
                "costs": [c.to_dict() for c in costs],
            }
        )
        return
    _print_record(record)
    for total in costs:
        console.print(
            f"[dim]cost[/dim] {escape(total.key)}: {total.calls} call(s), "
            f"{total.input_tokens:,} in / {total.output_tokens:,} out, ${total.usd:,.4f}"
        )


def _print_record(record: SessionRecord) -> None:
    session = record.session
    heading = " · ".join(
        part
        for part in (session.project, session.agent, session.user, session.status.value)
        if part
    )
    console.print(f"[bold]{escape(session.title or 'Session')}[/bold]  [dim]{session.id}[/dim]")
    console.print(f"[dim]{escape(heading)} · started {session.started_at[:19]}[/dim]")
    for message in record.messages:
        when = message.created_at[:16].replace("T", " ")
        console.print(f"\n[bold]{message.role.value}[/bold] · {when} · {message.tokens} tokens")
        console.print(escape(message.content))
    for handoff in record.handoffs:
        console.print(f"\n[bold]handoff[/bold] · {handoff.created_at[:16].replace('T', ' ')}")
        for line in _handoff_lines(handoff):
            console.print(escape(line))


def _handoff_lines(handoff: Handoff) -> list[str]:
    lines = [f"done: {handoff.done}"]
    if handoff.stopped_at:
        lines.append(f"stopped at: {handoff.stopped_at}")
    lines += [f"next: {step}" for step in handoff.next_steps]
    lines += [f"open: {question}" for question in handoff.open_questions]
    if handoff.touched:
        lines.append("touched: " + ", ".join(handoff.touched))
    return lines


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words or meaning of what was said.")],
    project: Annotated[str | None, typer.Option("--project", "-p")] = None,
    session: Annotated[str | None, typer.Option("--session", metavar="ID")] = None,
    k: Annotated[int, typer.Option("-k", "--limit", min=1, max=1000, help="Hits to return.")] = 10,
    json_out: JsonFlag = False,
) -> None:
    """Search past messages, best first."""
    sessions = state(ctx).vault().sessions
    hits = sessions.search(query, project=project, session_id=session, k=k)  # unknown: exit 3
    if json_out:
        print_json({"query": query, "hits": [_hit(h) for h in hits], "count": len(hits)})
    elif hits:
        console.print(_hits_table(hits))
    else:
        console.print("no matches")


def _hit(hit: SearchHit) -> dict[str, Any]:
    m = hit.memory
    return {
        "id": m.id,
        "session_id": m.session_id,
        "project": m.namespace,
        "content": m.content,
        "created_at": m.created_at,
        "score": hit.score,
        "relevance": None if hit.relevance is None else round(hit.relevance, 3),
        "weak": hit.relevance is None or hit.weak,
    }


def _hits_table(hits: list[SearchHit]) -> Table:
    table = Table()
    table.add_column("#", justify="right")
    table.add_column("rel", justify="right")
    table.add_column("content", min_width=30)
    table.add_column("session", style="dim", no_wrap=True)
    for rank, hit in enumerate(hits, start=1):
        m = hit.memory
        table.add_row(str(rank), relevance(hit), escape(short(m.content, 80)), m.session_id or "")
    return table


def prune(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would go; change nothing.")
    ] = False,
    archive_idle_days: Annotated[
        int | None,
        typer.Option(
            min=0, max=36_500, help="Save the rule: archive sessions idle N days (0: off)."
        ),
    ] = None,
    delete_summarised_days: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=36_500,
            help="Save the rule: delete summarised messages after N days (0: off).",
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Archive idle sessions and delete old summarised messages, by the vault's rules.

    Handoffs, costs and messages not marked summarised are always kept.
    """
    changing_rules = archive_idle_days is not None or delete_summarised_days is not None
    if dry_run and changing_rules:
        # A dry run changes nothing, and saved rules are what the server applies at its next
        # start: previewing unsaved rules is not something the vault offers yet.
        raise InvalidInputError(
            "--dry-run previews the saved rules; save new ones with a run without --dry-run"
        )
    sessions = state(ctx).vault().sessions
    if changing_rules:
        sessions.set_retention(
            archive_idle_days=archive_idle_days, delete_summarised_days=delete_summarised_days
        )
    report = sessions.prune(dry_run=dry_run)
    if json_out:
        print_json(report.to_dict())
    else:
        console.print(describe_prune(report))


def describe_prune(report: PruneReport) -> str:
    """One line: what retention did (or would do), and by which rules."""
    rules = report.rules
    archive = f"{rules.archive_idle_days} days idle" if rules.archive_idle_days else "never"
    delete = (
        f"after {rules.delete_summarised_days} days" if rules.delete_summarised_days else "never"
    )
    verb = ("would archive", "would delete") if report.dry_run else ("archived", "deleted")
    return (
        f"{verb[0]} {len(report.archived)} session(s), {verb[1]} {report.deleted_messages} "
        f"summarised message(s) from {len(report.deleted)} session(s) "
        f"(rules: archive at {archive}, delete summarised {delete})"
    )
