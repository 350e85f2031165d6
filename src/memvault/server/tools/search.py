"""search: hybrid (default), keyword or vector search with filters, paged by cursor.

Each page runs the search again, so every page must rank exactly like the first. Hybrid fusion
normalises scores over the candidates it takes from each signal (``max(k, depth)`` of them), so a
request for more than ``depth`` hits ranks differently: hybrid pages stop at the fusion depth.
"""

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.core.inputs import MAX_SEARCH_K
from memvault.core.records import SearchHit
from memvault.server.budget import make_cursor, read_cursor
from memvault.server.context import READ, CallBudget, Reply, ToolContext, brief, reply, tool_errors
from memvault.service.fusion import DEFAULT_FUSION

MinScore = Annotated[float | None, Field(ge=0, le=1, description="0-1; <0.5 is weak")]


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Search memories; kinds also note, document, code (with where: file:lines).",
        annotations=READ,
    )
    def search(
        query: str,
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
        cursor: str | None = None,
        mode: Literal["hybrid", "keyword", "vector"] = "hybrid",
        namespace: str | None = None,
        kinds: list[str] | None = None,
        tags: list[str] | None = None,
        entity: str | None = None,
        since: str | None = None,
        until: str | None = None,
        explain: bool = False,
        min_score: MinScore = None,
        include_superseded: bool = False,
        budget: CallBudget = None,
    ) -> Reply:
        request = {
            "q": query,
            "m": mode,
            "n": namespace,
            "k": kinds,
            "t": tags,
            "e": entity,
            "s": since,
            "u": until,
            "r": min_score,
            "x": include_superseded,
        }
        deepest = DEFAULT_FUSION.depth if mode == "hybrid" else MAX_SEARCH_K
        with tool_errors():
            offset = read_cursor(cursor, request, ctx.scope)
            wanted = min(offset + limit + 1, deepest)
            hits = ctx.vault.search(
                query,
                k=wanted,
                mode=mode,
                namespace=namespace,
                kinds=kinds or [],
                tags=tags or [],
                since=since,
                until=until,
                include_superseded=include_superseded,
                min_score=min_score,
                entities=[entity] if entity is not None else [],
            )
        items = [hit_item(hit, explain) for hit in hits[offset : offset + limit]]
        return reply(
            ctx.sized(budget).page(
                items,
                text_field="content",
                envelope=lambda shown: envelope(shown, hits),
                more=len(hits) > offset + limit and offset + limit < deepest,
                next_cursor=lambda n: make_cursor(offset + n, request, ctx.scope),
            )
        )


def envelope(shown: list[dict[str, Any]], hits: list[SearchHit]) -> dict[str, Any]:
    """The hits, and ``nothing_relevant`` when none of them is about the query."""
    response: dict[str, Any] = {"hits": shown}
    if not any(hit.relevance is not None and not hit.weak for hit in hits):
        response["nothing_relevant"] = True
    return response


def hit_item(hit: SearchHit, explain: bool) -> dict[str, Any]:
    """A hit as a list item: its relevance (0-1, comparable across queries) and whether it is
    weak; ``explain`` adds each signal's [rank, score] and the fused score."""
    item: dict[str, Any] = {**brief(hit.memory), "relevance": round(hit.relevance or 0.0, 3)}
    if hit.weak or hit.relevance is None:
        item["weak"] = True
    if explain:
        item["score"] = round(hit.score, 4)
        item["signals"] = {n: [s.rank, round(s.score, 4)] for n, s in hit.signals.items()}
    return item
