"""neighbours: memories linked to one, by graph walk, paged by cursor."""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.server.budget import make_cursor, read_cursor
from memvault.server.context import READ, CallBudget, Reply, ToolContext, brief, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Memories linked to one, nearest first.",
        annotations=READ,
    )
    def neighbours(
        id: str,
        depth: Annotated[int, Field(ge=1, le=5)] = 1,
        relation: str | None = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
        cursor: str | None = None,
        budget: CallBudget = None,
    ) -> Reply:
        request = {"id": id, "d": depth, "r": relation}
        with tool_errors():
            offset = read_cursor(cursor, request, ctx.scope)
            found = ctx.vault.neighbours(id, depth=depth, relation=relation)
        items = [
            {
                **brief(n.memory),
                "relation": n.edge.relation,
                "depth": n.depth,
                "direction": "out" if n.edge.source_id == id else "in",
            }
            for n in found[offset : offset + limit]
        ]

        def envelope(shown: list[dict[str, Any]]) -> dict[str, Any]:
            return {"neighbours": shown}

        return reply(
            ctx.sized(budget).page(
                items,
                text_field="content",
                envelope=envelope,
                more=len(found) > offset + limit,
                next_cursor=lambda n: make_cursor(offset + n, request, ctx.scope),
            )
        )
