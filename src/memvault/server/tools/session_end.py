"""session_end: write the handoff (what was done, where work stopped, what is next) and end.

The handoff is what the next session of the project receives first in its context pack.
"""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import CHANGE, Reply, ToolContext, reply, tool_errors
from memvault.service.sessions import HandoffDraft


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="End a session with a handoff.",
        annotations=CHANGE,
    )
    def session_end(
        session_id: str,
        done: str,
        stopped_at: str | None = None,
        next_steps: list[str] | None = None,
        open_questions: list[str] | None = None,
        touched: list[str] | None = None,
    ) -> Reply:
        draft = HandoffDraft(
            done=done,
            stopped_at=stopped_at,
            next_steps=tuple(next_steps or ()),
            open_questions=tuple(open_questions or ()),
            touched=tuple(touched or ()),
        )
        with tool_errors():
            ended = ctx.vault.sessions.end(session_id, handoff=draft)
        return reply({"ended": ended.id, "status": ended.status.value})
