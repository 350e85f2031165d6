"""jobs: the embedding queue and index runs."""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import READ, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Embedding queue, failures, index runs.",
        annotations=READ,
    )
    def jobs() -> Reply:
        with tool_errors():
            counts = ctx.vault.jobs()
            failures = ctx.vault.job_failures(5)
            runs = ctx.vault.index_runs(3)
        return reply(
            {
                **counts.to_dict(),
                "failures": [{"id": f.memory_id, "error": f.error[:200]} for f in failures],
                "index_runs": [
                    {
                        "root": r.root,
                        "state": r.state,
                        "files": f"{r.files_done}/{r.files_total}",
                        "chunks": r.chunks,
                    }
                    for r in runs
                ],
            }
        )
