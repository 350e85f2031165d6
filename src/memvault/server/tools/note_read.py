"""note_read: a note's body (paged by cursor when long), title, tags and links."""

from typing import Any

from mcp.server.mcpserver import MCPServer

from memvault.core.errors import InvalidInputError
from memvault.core.ids import content_hash
from memvault.server.budget import make_cursor, read_cursor
from memvault.server.context import READ, CallBudget, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="A note: body, tags, links, backlinks.",
        annotations=READ,
    )
    def note_read(path: str, cursor: str | None = None, budget: CallBudget = None) -> Reply:
        with tool_errors():
            note = ctx.vault.notes.read(path)
            # The cursor is tied to this version of the body: after an edit, offsets would lie.
            request = {"p": note.path, "v": content_hash(note.body)[:16]}
            try:
                offset = read_cursor(cursor, request, ctx.scope)
            except InvalidInputError as exc:
                raise InvalidInputError(
                    f"{exc}; if the note changed since, read it again without a cursor"
                ) from exc
            links, backlinks = ctx.vault.notes.links(note.path)
        data: dict[str, Any] = {
            "path": note.path,
            "id": note.id,
            "title": note.title,
            "tags": list(note.tags),
            "links": sorted({link.resolved_path or link.target for link in links}),
            "backlinks": sorted({link.source_path for link in backlinks}),
        }
        rest = note.body[offset:]

        def respond(body: str) -> dict[str, Any]:
            # A piece ends where the next one starts, so the pieces concatenate to the body.
            if body == rest:
                return {**data, "body": body}
            return {
                **data,
                "body": body,
                "next_cursor": make_cursor(offset + len(body), request, ctx.scope),
            }

        return reply(ctx.sized(budget).squeeze(rest, respond, marked=False))
