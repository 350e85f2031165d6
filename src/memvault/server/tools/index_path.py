"""index_path: index a folder or file of Markdown, code, PDF and text."""

from mcp.server.mcpserver import MCPServer

from memvault.server.context import ADD, Reply, ToolContext, reply, tool_errors


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Index a folder of docs and code (.gitignore respected); re-runs read changes.",
        annotations=ADD,
    )
    def index_path(path: str, namespace: str = "default", move: bool = False) -> Reply:
        with tool_errors():
            report = ctx.vault.index_path(path, namespace=namespace, move=move)
        data = report.to_dict()
        data["skipped"] = len(report.skipped)
        data["problems"] = [str(p) for p in report.problems[:10]]
        return reply(data)
