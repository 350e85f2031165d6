"""What every tool gets: the vault, the response budget, and the shared conventions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from memvault.core.errors import MemvaultError
from memvault.core.records import Memory
from memvault.embedding.tokens import compact
from memvault.hosting.current import current_vault
from memvault.server.budget import MAX_BUDGET, MIN_BUDGET, Budget
from memvault.service.vault import Vault

# The five kinds of tool, by MCP annotation: clients use them to decide what needs a confirmation.
# Only hints that differ from the spec's defaults are sent (readOnly false, destructive true,
# idempotent false, openWorld true; destructive and idempotent mean nothing for a read-only
# tool): the same four answers at half the tokens in every tools/list.
READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
ADD = ToolAnnotations(destructive_hint=False, idempotent_hint=True, open_world_hint=False)
CHANGE = ToolAnnotations(destructive_hint=False, open_world_hint=False)
OVERWRITE = ToolAnnotations(idempotent_hint=True, open_world_hint=False)
EDIT = ToolAnnotations(open_world_hint=False)  # destroys text it replaces; twice, edits twice
# What a tool answers: the same object as compact JSON text (for clients without structured
# output) and as structuredContent, checked against the tool's outputSchema by the client.
Reply = Annotated[CallToolResult, dict[str, Any]]


# A response budget an agent asks for in one call (``budget``): tokens it will pay at most.
CallBudget = Annotated[int | None, Field(ge=MIN_BUDGET, le=MAX_BUDGET, description="tokens")]


@dataclass(frozen=True, slots=True)
class ToolContext:
    # The vault of a server of one vault; None on a hosted server, where each request's vault
    # is its tenant's (set by ``server/tenants.py``, read in :attr:`vault`).
    opened: Vault | None
    budget: Budget
    # Set once the start-up work a tool must see is done (``memvault serve``'s first folder
    # sync, which runs while the client starts: tools/list never waits for it, a tool does).
    ready: threading.Event | None = None

    @property
    def vault(self) -> Vault:
        if self.ready is not None:
            self.ready.wait()
        return current_vault() if self.opened is None else self.opened

    @property
    def scope(self) -> str:
        """What a cursor is tied to besides its request: this vault (a cursor handed out for
        one tenant's vault is refused by another's)."""
        return self.vault.location

    def sized(self, tokens: int | None) -> Budget:
        """The budget of one call: what the agent asked for, else the server's."""
        return self.budget if tokens is None else Budget(tokens)


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


def reply(data: dict[str, Any]) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=compact(data))], structured_content=data
    )


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
