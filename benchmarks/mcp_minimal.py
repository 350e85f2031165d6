"""The smallest MCP stdio server the SDK memvault uses can make: one tool, nothing imported
beyond the SDK. What it costs to answer ``tools/list`` is the floor of any server built on it."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server = MCPServer("minimal")


@server.tool()
def echo(text: str) -> str:
    """Returns the text it was given."""
    return text


if __name__ == "__main__":
    server.run("stdio")
