"""stats: counts, sizes and the health check."""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import READ, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Counts, sizes, health check.",
        annotations=READ,
    )
    def stats() -> Reply:
        with tool_errors():
            data = ctx.vault.stats().to_dict()
            check = ctx.vault.check()
        data["check"] = "ok" if check.ok else [c.detail for c in check.checks if not c.ok]
        return reply(data)
