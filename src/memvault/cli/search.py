"""The search command."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from memvault.cli.memories import JsonFlag, TagOption
from memvault.cli.output import console, hits_table, print_json, where
from memvault.cli.state import state
from memvault.core.records import SearchHit, SearchMode


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Any text; code identifiers are understood.")],
    k: Annotated[int, typer.Option("-k", "--limit", min=1, max=1000, help="Hits to return.")] = 10,
    namespace: Annotated[str | None, typer.Option("--namespace", "-n")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Kind (repeatable).")] = None,
    tag: TagOption = None,
    entity: Annotated[
        list[str] | None,
        typer.Option(help="Mentions this entity, any spelling: parse_config finds parseConfig."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="Created at or after (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="Created before (ISO date).")] = None,
    include_superseded: Annotated[bool, typer.Option("--all", help="Include superseded.")] = False,
    mode: Annotated[
        SearchMode, typer.Option(help="hybrid (keyword + vector, fused), keyword or vector.")
    ] = SearchMode.HYBRID,
    explain: Annotated[bool, typer.Option(help="Show each signal's rank and score.")] = False,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score", min=0, max=1, help="Leave out hits under this relevance (0-1)."
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Search memories, best first."""
    hits = (
        state(ctx)
        .vault()
        .search(
            query,
            k=k,
            namespace=namespace,
            kinds=kind or [],
            tags=tag or [],
            since=since,
            until=until,
            include_superseded=include_superseded,
            mode=mode,
            min_score=min_score,
            entities=entity or [],
        )
    )
    relevant = any(hit.relevance is not None and not hit.weak for hit in hits)
    if json_out:
        print_json(
            {
                "query": query,
                "mode": mode.value,
                "hits": [hit_json(h, explain) for h in hits],
                "count": len(hits),
                "nothing_relevant": not relevant,
            }
        )
        return
    if hits:
        console.print(hits_table(hits, explain=explain))
    if not hits:
        console.print("no matches: nothing relevant")
    elif not relevant:
        console.print("nothing relevant: every hit is weak (relevance under 0.5)")


def hit_json(hit: SearchHit, explain: bool) -> dict[str, Any]:
    """The whole record, plus ``where`` (``path:lines``) as the MCP search names it."""
    data = hit.to_dict(explain=explain)
    if hit.memory.location is not None:
        data["where"] = where(hit.memory.location)
    return data
