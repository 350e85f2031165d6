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
    if not result.is_error:
        # Every answer is structured too: the same object, which the client has checked
        # against the tool's outputSchema; the text is for clients without structured output.
        assert result.structured_content == json.loads(content.text), tool
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


# What a client assumes for a hint a tool leaves out (MCP spec, ToolAnnotations).
SPEC_DEFAULTS = {
    "read_only_hint": False,
    "destructive_hint": True,
    "idempotent_hint": False,
    "open_world_hint": True,
}


def hint(annotations: Any, name: str) -> bool:
    """A tool's hint as a client reads it: the value sent, or the spec's default. Destructive
    and idempotent mean nothing for a read-only tool (the spec says so), so they read False and
    True there."""
    value = getattr(annotations, name, None)
    if value is None and getattr(annotations, "read_only_hint", None) is True:
        value = {"destructive_hint": False, "idempotent_hint": True}.get(name)
    return bool(SPEC_DEFAULTS[name] if value is None else value)
