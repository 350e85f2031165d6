"""update: change fields of a memory in place (no history; use supersede to keep it)."""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.server.context import OVERWRITE, Reply, ToolContext, brief, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Change a memory's given fields.",
        annotations=OVERWRITE,
    )
    def update(
        id: str,
        content: str | None = None,
        kind: str | None = None,
        tags: list[str] | None = None,
        importance: Annotated[float | None, Field(ge=0, le=1)] = None,
        confidence: Annotated[float | None, Field(ge=0, le=1)] = None,
        source: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Reply:
        with tool_errors():
            memory = ctx.vault.update(
                id,
                content=content,
                kind=kind,
                tags=tags,
                importance=importance,
                confidence=confidence,
                source=source,
                metadata=metadata,
            )
        return reply(brief(memory))
