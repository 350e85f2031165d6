"""relate: a typed edge between two memories."""

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.server.context import ADD, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Link two memories: source -relation-> target.",
        annotations=ADD,
    )
    def relate(
        source: str,
        target: str,
        relation: Annotated[str, Field(description="relates_to|contradicts|…")] = ("relates_to"),
        weight: float = 1.0,
    ) -> Reply:
        with tool_errors():
            edge = ctx.vault.relate(source, target, relation, weight=weight)
        return reply(
            {"source": edge.source_id, "target": edge.target_id, "relation": edge.relation}
        )
