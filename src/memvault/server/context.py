"""What every tool gets: the vault, the response budget, and the shared conventions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from memvault.core.errors import MemvaultError
from memvault.core.records import Memory
from memvault.embedding.tokens import compact
from memvault.server.budget import Budget
from memvault.service.vault import Vault

# The four kinds of tool, by MCP annotation: clients use them to decide what needs a confirmation.
READ = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
ADD = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
CHANGE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)
OVERWRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)


@dataclass(frozen=True, slots=True)
class ToolContext:
    vault: Vault
    budget: Budget


@contextmanager
def tool_errors() -> Iterator[None]:
    """memvault's own errors become MCP tool errors with their one-line message."""
    try:
        yield
    except MemvaultError as exc:
        raise ToolError(" ".join(str(exc).split())) from exc
    except OSError as exc:  # a path a tool was given: unreadable, vanished, disk full
        where = f": {exc.filename}" if exc.filename else ""
        raise ToolError(f"{exc.strerror or exc}{where}") from exc


def reply(data: Any) -> str:
    return compact(data)


def brief(memory: Memory) -> dict[str, Any]:
    """A memory as a list item: what an agent needs to use it, nothing it would not read."""
    item: dict[str, Any] = {"id": memory.id, "kind": memory.kind, "content": memory.content}
    if memory.tags:
        item["tags"] = list(memory.tags)
    if memory.namespace != "default":
        item["namespace"] = memory.namespace
    if memory.location is not None:
        where = memory.location
        page = f" p.{where.page}" if where.page else ""
        item["where"] = f"{where.path}{page}:{where.line_start}-{where.line_end}"
    if memory.valid_to is not None:
        item["superseded_by"] = memory.superseded_by
    item["created_at"] = memory.created_at[:10]
    return item
