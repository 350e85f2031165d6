"""The MCP server object: every tool registered against one open vault."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool

from memvault.server.budget import Budget
from memvault.server.context import ToolContext, tool_errors
from memvault.server.outputs import output_schema
from memvault.server.tools import ALL
from memvault.service.vault import Vault

INSTRUCTIONS = (
    "Persistent memory. search before answering from memory; remember facts, decisions, "
    "preferences and lessons worth keeping; notes are Markdown files people also edit."
)


# Tools that change data without adding to it: a hosted tenant at a stored-data quota may still
# use them (deleting is how it gets back under).
SHRINKING = frozenset({"forget", "note_delete", "note_move", "session_end", "validate"})


def build_server(
    vault: Vault | None,
    budget: Budget | None = None,
    tools: Sequence[ModuleType] = ALL,
    *,
    ready: threading.Event | None = None,
    before_adding: Callable[[], None] | None = None,
) -> MCPServer:
    """A server of ``tools`` (all by default; ``memvault serve`` lists the core set, see
    :mod:`memvault.server.toolsets`) on ``vault``; its tools wait for ``ready``, if given.
    ``vault`` None: a hosted server, whose tools use the vault of each request's tenant;
    ``before_adding`` runs before every tool that adds data (a tenant's quotas: it raises)."""
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
        if before_adding is not None and adds_data(registered):
            registered.fn = _checked_first(registered.fn, before_adding)
    return server


def adds_data(tool: Tool) -> bool:
    read_only = tool.annotations is not None and bool(tool.annotations.read_only_hint)
    return not read_only and tool.name not in SHRINKING


def _checked_first(fn: Callable[..., Any], check: Callable[[], None]) -> Callable[..., Any]:
    """``fn`` with ``check`` before it, its failure a tool error (the SDK calls ``fn`` as it
    registered it, sync in a worker thread or async on the loop: the wrapper is the same kind)."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def checked_async(*args: Any, **kwargs: Any) -> Any:
            with tool_errors():
                check()
            return await fn(*args, **kwargs)

        return checked_async

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        with tool_errors():
            check()
        return fn(*args, **kwargs)

    return checked


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
