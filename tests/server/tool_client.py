"""Calling the MCP tools through the SDK's in-process client, for the tool tests."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import TextContent

T = TypeVar("T")


def run(server: MCPServer, scenario: Callable[[Client], Awaitable[T]]) -> T:
    async def main() -> T:
        async with Client(server) as client:
            return await scenario(client)

    return anyio.run(main)


async def answer(client: Client, tool: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    """Whether the call was a tool error, and the one text block every tool replies with."""
    result = await client.call_tool(tool, arguments)
    assert len(result.content) == 1
    content = result.content[0]
    assert isinstance(content, TextContent)
    return bool(result.is_error), content.text


async def raw(client: Client, tool: str, **arguments: Any) -> str:
    error, text = await answer(client, tool, arguments)
    assert not error, f"{tool} failed: {text}"
    return text


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    return json.loads(await raw(client, tool, **arguments))


async def fails(client: Client, tool: str, **arguments: Any) -> str:
    error, text = await answer(client, tool, arguments)
    assert error, f"{tool} should have failed, returned {text}"
    return text
