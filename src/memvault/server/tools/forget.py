"""forget: delete a memory with its edges and history."""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import OVERWRITE, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Delete a memory with its edges and validation history.",
        annotations=OVERWRITE,
        structured_output=False,
    )
    def forget(id: str) -> str:
        with tool_errors():
            ctx.vault.forget(id)
        return reply({"forgotten": id})
