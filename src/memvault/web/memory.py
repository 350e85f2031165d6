"""``/memories/{id}``: one memory with every field, its history, validations and links; and
``/memories/{id}/forget``, the page that asks before a memory is deleted.

Looking is not using. :meth:`Vault.get` counts a read as an access by default because the
access count tells which memories an *agent* relies on (the ``access`` order and the context
pack read it); a person browsing the vault, or checking what an agent stored, says nothing
about that, and would make every memory they open look used. So this page reads with
``touch=False`` and shows the counts as the agents left them.

The history is the supersede chain walked both ways: a newer version is
``Memory.superseded_by`` (followed to the current one), an older one the target of a
``supersedes`` edge from this memory (new → old), followed back to the first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from memvault.core.errors import InvalidInputError, NotFoundError
from memvault.core.records import Memory, Neighbour, Relation, Verdict
from memvault.service.vault import Vault
from memvault.web.context import PageContext

MAX_VERSIONS = 100  # a chain longer than this is cut (and a loop in hand-edited files ends)


@dataclass(frozen=True, slots=True)
class History:
    """The versions of a memory: ``newer`` from the next one to the current one, ``older``
    from the previous one back to the first; ``lost`` when the memory was superseded by a
    version that has since been forgotten."""

    newer: tuple[Memory, ...]
    older: tuple[Memory, ...]
    lost: bool

    @property
    def current(self) -> Memory | None:
        return self.newer[-1] if self.newer else None


@dataclass(frozen=True, slots=True)
class Link:
    """An edge as this memory sees it: the relation, which way it points, the other end."""

    relation: str
    outgoing: bool
    other: Memory
    weight: float


def routes(context: PageContext, notices: Mapping[str, str]) -> list[BaseRoute]:
    def memory_page(request: Request) -> Response:
        vault = context.vault
        shown = vault.get(request.path_params["memory_id"], touch=False)  # looking is not using
        links = vault.neighbours(shown.id, depth=1)
        return context.render(
            request,
            "memory.html",
            title=f"{preview(shown, 60)} · memvault",
            memory=shown,
            history=history(vault, shown),
            validations=vault.validation_history(shown.id),
            links=[link(shown, n) for n in links],
            metadata=json.dumps(shown.metadata, indent=2, ensure_ascii=False, sort_keys=True)
            if shown.metadata
            else None,
            own=is_own(shown),
            verdicts=list(Verdict),
            form=edit_values(shown),
            notice=notices.get(request.query_params.get("done", "")),
            short=lambda other: preview(other, 100) or other.id,
        )

    def forget_page(request: Request) -> Response:
        vault = context.vault
        shown = require_own(vault.get(request.path_params["memory_id"], touch=False))
        return context.render(
            request,
            "forget.html",
            title="Forget a memory · memvault",
            memory=shown,
            preview=preview(shown, 200),
            links=len(vault.neighbours(shown.id, depth=1)),
            validations=len(vault.validation_history(shown.id)),
        )

    return [
        Route("/memories/{memory_id}", memory_page, methods=["GET"]),
        Route("/memories/{memory_id}/forget", forget_page, methods=["GET"]),
    ]


def history(vault: Vault, memory: Memory) -> History:
    seen = {memory.id}
    newer: list[Memory] = []
    step = memory
    lost = False
    while step.superseded_by is not None and step.superseded_by not in seen:
        if len(newer) >= MAX_VERSIONS:
            break
        try:
            step = vault.get(step.superseded_by, touch=False)
        except NotFoundError:
            break
        seen.add(step.id)
        newer.append(step)
    if not step.is_current and step.superseded_by is None:
        lost = True  # closed, and what closed it is gone (``superseded_by`` set to NULL)
    older: list[Memory] = []
    frontier = [memory.id]
    while frontier and len(older) < MAX_VERSIONS:
        at = frontier.pop(0)
        for neighbour in vault.neighbours(at, depth=1, relation=Relation.SUPERSEDES):
            replaced = neighbour.memory
            if neighbour.edge.source_id == at and replaced.id not in seen:
                seen.add(replaced.id)
                older.append(replaced)
                frontier.append(replaced.id)
    return History(tuple(newer), tuple(older), lost)


def link(memory: Memory, neighbour: Neighbour) -> Link:
    edge = neighbour.edge
    return Link(edge.relation, edge.source_id == memory.id, neighbour.memory, edge.weight)


def is_own(memory: Memory) -> bool:
    """A memory of its own, which this page may edit: not a chunk of a note or indexed file
    (the file is its truth: a sync would undo the edit) and not a message of a session."""
    return memory.location is None and memory.session_id is None


def require_own(memory: Memory) -> Memory:
    """``memory`` if this page may change it; else the one error that says where to."""
    if not is_own(memory):
        where = memory.location.path if memory.location else f"session {memory.session_id}"
        raise InvalidInputError(f"this memory is part of {where}: change it there")
    return memory


def preview(memory: Memory, length: int) -> str:
    """The first line of the text, cut to ``length`` characters."""
    lines = memory.content.strip().splitlines()
    first = lines[0] if lines else ""
    return first if len(first) <= length else first[: length - 1] + "…"


def edit_values(memory: Memory) -> dict[str, Any]:
    """What the edit form starts with; numbers rounded the way the form sends them back
    (:func:`memvault.web.memory_forms.changes` compares within that rounding)."""
    return {
        "content": memory.content,
        "kind": memory.kind,
        "tags": ", ".join(memory.tags),
        "importance": round(memory.importance, 4),
        "confidence": round(memory.confidence, 4),
    }
