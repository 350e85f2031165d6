"""entity: an entity's page (docs/entities.md), paged by cursor and held to the response budget.

The name goes through ``entity_key`` (any spelling). What is known of the entity (its count,
first and last seen, a few notes and co-occurring entities) sits beside the page of memories;
the memories are the list the budget shortens, so a page that does not fit ends in a cursor.
"""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.content.entities import entity_key
from memvault.server.budget import make_cursor, read_cursor
from memvault.server.context import READ, CallBudget, Reply, ToolContext, brief, reply, tool_errors

SHOWN_BESIDE = 10  # notes and co-occurring entities an answer names: context, not a listing


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="An entity's page (any spelling): its memories, notes, co-mentions.",
        annotations=READ,
    )
    def entity(
        name: str,
        namespace: str | None = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 10,
        cursor: str | None = None,
        budget: CallBudget = None,
    ) -> Reply:
        request = {"e": entity_key(name), "n": namespace}  # any spelling resumes the page
        with tool_errors():
            offset = read_cursor(cursor, request, ctx.scope)
            page = ctx.vault.entity(name, namespace=namespace, limit=limit, offset=offset)
        summary = page.summary
        beside = [
            {"name": c.entity.name, "kind": c.entity.kind.value, "memories": c.memories}
            for c in summary.co_occurring[:SHOWN_BESIDE]
        ]

        def envelope(shown: list[dict[str, Any]]) -> dict[str, Any]:
            return {
                "name": summary.entity.name,
                "kind": summary.entity.kind.value,
                "count": summary.memories,
                "first_seen": summary.first_seen,
                "last_seen": summary.last_seen,
                "memories": shown,
                "notes": list(summary.notes[:SHOWN_BESIDE]),
                "co_occurring": beside,
            }

        return reply(
            ctx.sized(budget).page(
                [brief(memory) for memory in page.memories],
                text_field="content",
                envelope=envelope,
                more=page.more,
                next_cursor=lambda n: make_cursor(offset + n, request, ctx.scope),
            )
        )
