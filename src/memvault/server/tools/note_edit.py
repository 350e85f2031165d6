"""note_edit: append, prepend, replace a section, or find-and-replace with a count guard."""

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.server.context import EDIT, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Edit a note: append, prepend, replace a section, find/replace.",
        annotations=EDIT,
    )
    def note_edit(
        path: str,
        append: str | None = None,
        prepend: str | None = None,
        section: str | None = None,
        section_content: str | None = None,
        find: str | None = None,
        replace: str | None = None,
        expected: Annotated[int, Field(ge=1, description="matches find must have")] = 1,
    ) -> Reply:
        with tool_errors():
            note = ctx.vault.notes.edit(
                path,
                append=append,
                prepend=prepend,
                section=section,
                section_content=section_content,
                find=find,
                replace=replace,
                expected=expected,
            )
        return reply({"path": note.path, "id": note.id})
