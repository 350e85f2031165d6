"""relate: a typed edge between two memories."""

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.server.context import ADD, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Link two memories with a typed edge (source -relation-> target).",
        annotations=ADD,
        structured_output=False,
    )
    def relate(
        source: str,
        target: str,
        relation: Annotated[str, Field(description="relates_to|contradicts|derived_from|…")] = (
            "relates_to"
        ),
        weight: float = 1.0,
    ) -> str:
        with tool_errors():
            edge = ctx.vault.relate(source, target, relation, weight=weight)
        return reply(
            {"source": edge.source_id, "target": edge.target_id, "relation": edge.relation}
        )
