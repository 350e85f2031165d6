"""note_write: create a Markdown note in the vault, or replace its body."""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import OVERWRITE, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description=(
            "Create a Markdown note (or replace its body) in a namespace; [[links]] connect notes."
        ),
        annotations=OVERWRITE,
    )
    def note_write(
        path: str,
        content: str,
        title: str | None = None,
        tags: list[str] | None = None,
        namespace: str | None = None,
    ) -> Reply:
        with tool_errors():
            note = ctx.vault.notes.write(path, content, title=title, tags=tags, namespace=namespace)
        return reply({"path": note.path, "id": note.id})
