"""note_move: rename or move a note inside the vault."""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import CHANGE, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Move or rename a note.",
        annotations=CHANGE,
    )
    def note_move(path: str, to: str) -> Reply:
        with tool_errors():
            note = ctx.vault.notes.move(path, to)
        return reply({"path": note.path, "id": note.id})
