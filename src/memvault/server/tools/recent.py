"""recent: the latest memories (of one namespace, or all) and the latest changed notes.

What an agent reads to catch up without a query. Chunks of notes and indexed files are left out
of the memories (the notes list stands for them); both lists are bounded by ``limit`` and the
response by the budget.
"""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.server.context import READ, CallBudget, Reply, ToolContext, brief, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(description="Latest memories (by namespace) and notes.", annotations=READ)
    def recent(
        namespace: str | None = None,
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
        budget: CallBudget = None,
    ) -> Reply:
        with tool_errors():
            memories = ctx.vault.list(namespace=namespace, limit=limit)
            notes = []
            if ctx.vault.folder is not None:
                notes = [
                    {"path": n.state.path, "title": n.title, "updated_at": n.updated_at[:19]}
                    for n in ctx.vault.notes.list(recent=True, limit=limit)
                ]

        def envelope(shown: list[dict[str, Any]]) -> dict[str, Any]:
            return {"memories": shown, "notes": notes}

        response = ctx.sized(budget).page(
            [brief(memory) for memory in memories],
            text_field="content",
            envelope=envelope,
            more=False,
            next_cursor=lambda n: "",
        )
        if response.pop("next_cursor", None) is not None:
            response["more"] = True  # the budget held fewer: a smaller limit or a larger budget
        return reply(response)
