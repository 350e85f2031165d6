"""``memvault context`` (what an agent needs at session start) and ``memvault costs``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.cli.state import state
from memvault.core.inputs import MAX_TOKEN_BUDGET, MIN_TOKEN_BUDGET
from memvault.core.session_records import CostGrouping, CostTotal

if TYPE_CHECKING:  # the service layer loads when the command runs, not at start-up
    from memvault.service.pack_records import ContextPack

DEFAULT_BUDGET = 2_000
BudgetOption = Annotated[
    int | None,
    typer.Option(
        "--budget",
        min=MIN_TOKEN_BUDGET,
        max=MAX_TOKEN_BUDGET,
        help=f"Tokens the pack may take (default {DEFAULT_BUDGET:,}).",
    ),
]


def context(
    ctx: typer.Context,
    project: Annotated[str | None, typer.Option("--project", "-p")] = None,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="What the work is about: adds best hits.")
    ] = None,
    budget: BudgetOption = None,
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="Whose preferences to include.")
    ] = None,
    session: Annotated[
        str | None,
        typer.Option("--session", metavar="ID", help="The caller's own session (running)."),
    ] = None,
    include_running: Annotated[
        bool,
        typer.Option("--include-running", help="Also what other running sessions said."),
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Tokens per section, what was left out and why.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """What an agent needs to know at session start, cut to a token budget.

    The latest handoffs, preferences, pinned memories, recent decisions and lessons, and (with
    --query) the best hits among memories, notes and past messages.
    """
    vault = state(ctx).vault()
    own = None if session is None else vault.sessions.get(session).id  # unknown: exit 3
    pack = vault.context(
        project=project,
        query=query,
        budget=DEFAULT_BUDGET if budget is None else budget,
        user=user,
        session_id=own,
        include_running=include_running,
    )
    if json_out:
        print_json({**pack.to_dict(), **explanation(pack)} if explain else pack.to_dict())
    else:
        print_pack(pack, explain=explain)


def explanation(pack: ContextPack) -> dict[str, Any]:
    """What --explain adds to the JSON: the pack's tokens and each section's account."""
    return {
        "tokens": pack.tokens,
        "budget": pack.budget,
        "sections": {
            **{s.name: {**s.to_dict(), "left_out": s.left_out} for s in pack.sections},
            "entities": {"tokens": pack.entity_tokens, "items": len(pack.entities)},
        },
    }


def print_pack(pack: ContextPack, *, explain: bool) -> None:
    """The pack as its fenced text block; ``explain`` adds a table of its sections."""
    sys.stdout.write(pack.to_text() + "\n")
    if not explain:
        return
    table = Table(title=f"{pack.tokens:,} of {pack.budget:,} tokens")
    for column in ("section", "tokens", "items", "left out", "note"):
        table.add_column(column, justify="right" if column in ("tokens", "items") else "left")
    for section in pack.sections:
        table.add_row(
            section.name,
            str(section.tokens),
            str(section.items),
            str(section.left_out),
            escape(section.note or ""),
        )
    named = len(pack.entities)
    note = "the work's entities, in what the items leave" if named else "none shared"
    table.add_row("entities", str(pack.entity_tokens), str(named), "", note)
    console.print(table)


def costs(
    ctx: typer.Context,
    by: Annotated[
        CostGrouping, typer.Option("--by", help="Totals per session, project, model or day.")
    ] = CostGrouping.SESSION,
    project: Annotated[str | None, typer.Option("--project", "-p")] = None,
    session: Annotated[str | None, typer.Option("--session", metavar="ID")] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="At or after (ISO date).")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """What sessions cost, in tokens and US dollars, largest first."""
    vault = state(ctx).vault()
    own = None if session is None else vault.sessions.get(session).id  # unknown: exit 3
    totals = vault.sessions.costs(by, project=project, session_id=own, since=since)
    total = _sum(totals)
    if json_out:
        print_json({"by": by.value, "totals": [t.to_dict() for t in totals], "total": total})
        return
    if not totals:
        console.print("no costs recorded")
        return
    table = Table()
    for column in (by.value, "calls", "input tokens", "output tokens", "usd"):
        table.add_column(column, justify="left" if column == by.value else "right")
    for row in [*totals, CostTotal("total", **total)]:
        table.add_row(
            row.key,
            f"{row.calls:,}",
            f"{row.input_tokens:,}",
            f"{row.output_tokens:,}",
            f"{row.usd:,.4f}",
        )
    console.print(table)


def _sum(totals: list[CostTotal]) -> dict[str, Any]:
    return {
        "calls": sum(t.calls for t in totals),
        "input_tokens": sum(t.input_tokens for t in totals),
        "output_tokens": sum(t.output_tokens for t in totals),
        "usd": round(sum(t.usd for t in totals), 6),
    }
