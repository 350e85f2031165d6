"""remember: store a memory (the same text in a namespace returns the existing id)."""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.server.context import ADD, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Store a memory (same text: same id).",
        annotations=ADD,
    )
    def remember(
        content: str,
        kind: Annotated[str, Field(description="fact|decision|preference|lesson|event|…")] = "fact",
        tags: list[str] | None = None,
        namespace: str = "default",
        importance: Annotated[float, Field(ge=0, le=1)] = 0.5,
        confidence: Annotated[float, Field(ge=0, le=1)] = 0.5,
        source: str | None = None,
        metadata: dict[str, Any] | None = None,
        supersedes: str | None = None,
    ) -> Reply:
        with tool_errors():
            outcome = ctx.vault.remember(
                content,
                kind=kind,
                namespace=namespace,
                tags=tags or [],
                importance=importance,
                confidence=confidence,
                source=source,
                metadata=metadata,
                supersedes=supersedes or None,
            )
        return reply({"id": outcome.id, "created": outcome.created})
