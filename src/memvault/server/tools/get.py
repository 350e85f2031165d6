"""get: one memory, whole (its content cut to the response budget if it is huge)."""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import READ, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Fetch one memory by id, with all its fields.",
        annotations=READ,
        structured_output=False,
    )
    def get(id: str) -> str:
        with tool_errors():
            data = ctx.vault.get(id).to_dict()
        del data["content_hash"]
        return reply(ctx.budget.squeeze(data["content"], lambda text: {**data, "content": text}))
