"""session_search: past messages, best first (keyword and by meaning), paged by cursor.

Paged like ``search``: each page runs the search again, so pages stop at the fusion depth.
"""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.core.records import SearchHit
from memvault.server.budget import make_cursor, read_cursor
from memvault.server.context import READ, CallBudget, Reply, ToolContext, reply, tool_errors
from memvault.service.fusion import DEFAULT_FUSION


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Search session messages.",
        annotations=READ,
    )
    def session_search(
        query: str,
        project: str | None = None,
        session_id: str | None = None,
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
        cursor: str | None = None,
        budget: CallBudget = None,
    ) -> Reply:
        request = {"q": query, "p": project, "s": session_id}
        deepest = DEFAULT_FUSION.depth
        with tool_errors():
            offset = read_cursor(cursor, request, ctx.scope)
            hits = ctx.vault.sessions.search(
                query,
                project=project,
                session_id=session_id,
                k=min(offset + limit + 1, deepest),
            )
        items = [message_item(hit) for hit in hits[offset : offset + limit]]
        return reply(
            ctx.sized(budget).page(
                items,
                text_field="content",
                envelope=lambda shown: {"hits": shown},
                more=len(hits) > offset + limit and offset + limit < deepest,
                next_cursor=lambda n: make_cursor(offset + n, request, ctx.scope),
            )
        )


def message_item(hit: SearchHit) -> dict[str, Any]:
    memory = hit.memory
    item: dict[str, Any] = {
        "id": memory.id,
        "session_id": memory.session_id,
        "content": memory.content,
        "created_at": memory.created_at[:19],
        "relevance": round(hit.relevance or 0.0, 3),
    }
    if hit.weak or hit.relevance is None:
        item["weak"] = True
    if memory.namespace != "default":
        item["project"] = memory.namespace
    return item
