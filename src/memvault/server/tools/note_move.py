"""note_move: rename or move a note inside the vault."""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import CHANGE, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Move or rename a note inside the vault.",
        annotations=CHANGE,
        structured_output=False,
    )
    def note_move(path: str, to: str) -> str:
        with tool_errors():
            note = ctx.vault.notes.move(path, to)
        return reply({"path": note.path, "id": note.id})
