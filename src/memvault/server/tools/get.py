"""get: one memory, whole; a content longer than the budget comes in pieces, by cursor."""

from typing import Any

from mcp.server.mcpserver import MCPServer

from memvault.core.errors import InvalidInputError
from memvault.server.budget import make_cursor, read_cursor
from memvault.server.context import READ, CallBudget, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="One memory, all fields; long content pages by cursor.",
        annotations=READ,
    )
    def get(id: str, cursor: str | None = None, budget: CallBudget = None) -> Reply:
        with tool_errors():
            data = ctx.vault.get(id).to_dict()
            # The cursor is tied to this version of the content: after an update, offsets lie.
            request = {"i": id, "v": data.pop("content_hash")[:16]}
            try:
                offset = read_cursor(cursor, request, ctx.scope)
            except InvalidInputError as exc:
                raise InvalidInputError(
                    f"{exc}; if the memory changed since, get it again without a cursor"
                ) from exc
        rest = data["content"][offset:]

        def respond(content: str) -> dict[str, Any]:
            # A piece ends where the next one starts, so the pieces concatenate to the content.
            if content == rest:
                return {**data, "content": content}
            cursor = make_cursor(offset + len(content), request, ctx.scope)
            return {**data, "content": content, "next_cursor": cursor}

        return reply(ctx.sized(budget).squeeze(rest, respond, marked=False))
