"""session_start: start a session and receive the context pack of its project.

The pack is what an agent needs to know now (where the last session stopped, preferences,
pinned memories, recent decisions, hits for the query), so it gets the room of the whole response
by default: the response budget less the envelope. It is built before the session starts, so a
bad query or budget starts nothing; a new session has no messages or handoffs, so its pack is the
same before and after.
"""

from typing import Any

from mcp.server.mcpserver import MCPServer

from memvault.core.errors import InvalidInputError
from memvault.embedding.tokens import compact, count_tokens
from memvault.server.context import CHANGE, Reply, ToolContext, reply, tool_errors
from memvault.service.context_pack import MAX_BUDGET, MIN_BUDGET
from memvault.service.pack_records import ContextPack

ENVELOPE = 48  # tokens of {"session": id, "context": …} around the pack (an id takes 30-40)


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Start a session; returns its context pack.",
        annotations=CHANGE,
    )
    def session_start(
        project: str | None = None,
        agent: str | None = None,
        user: str | None = None,
        title: str | None = None,
        query: str | None = None,
        budget: int | None = None,
    ) -> Reply:
        room = pack_room(ctx.budget.tokens)
        with tool_errors():
            target = room if budget is None else checked_budget(budget, room)
            pack = ctx.vault.context(project=project, query=query, budget=target, user=user)
            session = ctx.vault.sessions.start(project=project, user=user, agent=agent, title=title)

            def respond(pack: ContextPack) -> dict[str, Any]:
                return {"session": session.id, "context": pack.to_dict()}

            response = respond(pack)
            while not ctx.budget.fits(response) and pack.budget > MIN_BUDGET:
                # Rare: the id's tokens or the joins counted more than ENVELOPE allowed for.
                over = count_tokens(compact(response)) - ctx.budget.tokens
                target = max(MIN_BUDGET, pack.budget - max(over, 1))
                pack = ctx.vault.context(
                    project=project, query=query, budget=target, user=user, session_id=session.id
                )
                response = respond(pack)
        return reply(response)


def pack_room(response_tokens: int) -> int:
    """The largest pack a response of ``response_tokens`` holds (never below the smallest pack
    there is: a server configured with a tiny budget still answers)."""
    return min(MAX_BUDGET, max(MIN_BUDGET, response_tokens - ENVELOPE))


def checked_budget(budget: int, room: int) -> int:
    if isinstance(budget, bool) or not MIN_BUDGET <= budget <= room:
        raise InvalidInputError(
            f"budget must be from {MIN_BUDGET} to {room:,} tokens (what fits in one response "
            "of this server); leave it out for the most that fits"
        )
    return budget
