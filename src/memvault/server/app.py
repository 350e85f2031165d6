"""The MCP server object: every tool registered against one open vault."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from mcp.server.mcpserver import MCPServer

from memvault.server.budget import Budget
from memvault.server.context import ToolContext
from memvault.server.outputs import output_schema
from memvault.server.tools import ALL
from memvault.service.vault import Vault

INSTRUCTIONS = (
    "Persistent memory. search before answering from memory; remember facts, decisions, "
    "preferences and lessons worth keeping; notes are Markdown files people also edit."
)


def build_server(
    vault: Vault | None,
    budget: Budget | None = None,
    tools: Sequence[ModuleType] = ALL,
    *,
    ready: threading.Event | None = None,
) -> MCPServer:
    """A server of ``tools`` (all by default; ``memvault serve`` lists the core set, see
    :mod:`memvault.server.toolsets`) on ``vault``; its tools wait for ``ready``, if given.
    ``vault`` None: a hosted server, whose tools use the vault of each request's tenant."""
    from memvault import __version__

    server = MCPServer(
        "memvault", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )
    context = ToolContext(vault, budget or Budget(), ready)
    for tool in tools:
        tool.register(server, context)
    for registered in server._tool_manager.list_tools():  # the SDK has no public hook for this
        slim_schema(registered.parameters)
        registered.fn_metadata.output_schema = output_schema(registered.name)
    return server


def slim_schema(schema: dict[str, Any]) -> None:
    """Drop what costs an agent tokens and tells it nothing: pydantic's generated titles,
    ``additionalProperties: true`` (JSON Schema's default), and ``anyOf [T, null]`` with
    ``default: null`` for optional arguments (leaving them out is how an agent says "none"; null
    is still accepted)."""
    if isinstance(schema.get("title"), str):
        del schema["title"]
    options = schema.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        (kept,) = [option for option in options if option != {"type": "null"}]
        del schema["anyOf"]
        schema.update(kept)
        if schema.get("default", 0) is None:
            del schema["default"]
    if schema.get("additionalProperties") is True:
        del schema["additionalProperties"]
    # Bounds are checked by the server, whose error names them: not worth a token per session.
    for bound in ("minimum", "maximum"):
        schema.pop(bound, None)
    for child in schema.get("properties", {}).values():
        slim_schema(child)
    if isinstance(schema.get("items"), dict):
        slim_schema(schema["items"])
