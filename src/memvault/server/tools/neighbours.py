"""neighbours: memories linked to one, by graph walk or through the entities they share
(``via_entities``), paged by cursor."""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.core.errors import InvalidInputError
from memvault.server.budget import make_cursor, read_cursor
from memvault.server.context import READ, CallBudget, Reply, ToolContext, brief, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Memories linked to one, nearest first (via_entities: most shared first).",
        annotations=READ,
    )
    def neighbours(
        id: str,
        depth: Annotated[int, Field(ge=1, le=5)] = 1,
        relation: str | None = None,
        via_entities: bool = False,
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
        cursor: str | None = None,
        budget: CallBudget = None,
    ) -> Reply:
        request = {"id": id, "d": depth, "r": relation, "e": via_entities}
        with tool_errors():
            offset = read_cursor(cursor, request, ctx.scope)
            if via_entities:
                if relation is not None or depth != 1:
                    raise InvalidInputError(
                        "via_entities walks shared entities: no depth or relation"
                    )
                return sharing(id, offset, limit, request, budget)
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

    def sharing(
        id: str, offset: int, limit: int, request: dict[str, Any], budget: int | None
    ) -> Reply:
        """Memories sharing entities with ``id``: most shared first, each with ``shared``."""
        found = ctx.vault.entity_neighbours(id, limit=offset + limit + 1)
        items = [{**brief(n.memory), "shared": n.shared} for n in found[offset : offset + limit]]
        return reply(
            ctx.sized(budget).page(
                items,
                text_field="content",
                envelope=lambda shown: {"neighbours": shown},
                more=len(found) > offset + limit,
                next_cursor=lambda n: make_cursor(offset + n, request, ctx.scope),
            )
        )
