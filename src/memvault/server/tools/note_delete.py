"""note_delete: delete a note and its chunks from the index."""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import OVERWRITE, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(description="Delete a note.", annotations=OVERWRITE)
    def note_delete(path: str) -> Reply:
        with tool_errors():
            ctx.vault.notes.delete(path)
        return reply({"deleted": path})
