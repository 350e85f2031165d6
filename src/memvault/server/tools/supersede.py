"""supersede: mark a memory as replaced by another (it stays readable, out of search)."""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import ADD, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Mark old_id replaced by new_id (kept as history).",
        annotations=ADD,
    )
    def supersede(old_id: str, new_id: str) -> Reply:
        with tool_errors():
            ctx.vault.supersede(old_id, new_id)
        return reply({"superseded": old_id, "by": new_id})
