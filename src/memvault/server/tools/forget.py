"""forget: delete a memory with its edges and history."""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import OVERWRITE, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Delete a memory and its edges.",
        annotations=OVERWRITE,
    )
    def forget(id: str) -> Reply:
        with tool_errors():
            ctx.vault.forget(id)
        return reply({"forgotten": id})
