"""note_list: notes by folder, tag or recency, paged by cursor."""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.server.budget import make_cursor, read_cursor
from memvault.server.context import READ, CallBudget, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="List notes by folder, tag or recency.",
        annotations=READ,
    )
    def note_list(
        folder: str | None = None,
        tag: str | None = None,
        recent: bool = False,
        limit: Annotated[int, Field(ge=1, le=200)] = 50,
        cursor: str | None = None,
        budget: CallBudget = None,
    ) -> Reply:
        request = {"f": folder, "t": tag, "r": recent}
        with tool_errors():
            offset = read_cursor(cursor, request, ctx.scope)
            notes = ctx.vault.notes.list(
                folder=folder, tag=tag, recent=recent, limit=limit + 1, offset=offset
            )
        items = [
            {
                "path": n.state.path,
                "title": n.title,
                "tags": list(n.tags),
                "updated_at": n.updated_at[:19],
            }
            for n in notes[:limit]
        ]

        def envelope(shown: list[dict[str, Any]]) -> dict[str, Any]:
            return {"notes": shown}

        return reply(
            ctx.sized(budget).page(
                items,
                text_field="title",
                envelope=envelope,
                more=len(notes) > limit,
                next_cursor=lambda n: make_cursor(offset + n, request, ctx.scope),
            )
        )
