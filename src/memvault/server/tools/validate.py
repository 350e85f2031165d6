"""validate: confirm, use or refute a memory; its confidence moves."""

from typing import Literal

from mcp.server.mcpserver import MCPServer

from memvault.server.context import CHANGE, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Confirm, use or refute a memory (moves confidence).",
        annotations=CHANGE,
    )
    def validate(
        id: str,
        verdict: Literal["confirm", "use", "refute"],
        actor: str | None = None,
        note: str | None = None,
    ) -> Reply:
        with tool_errors():
            event = ctx.vault.validate(id, verdict, actor=actor, note=note)
        return reply(
            {"id": id, "confidence": event.confidence_after, "before": event.confidence_before}
        )
