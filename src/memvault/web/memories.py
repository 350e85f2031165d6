"""``/memories``: the memories of a vault as a table, filtered, sorted and paged by a GET form.

The list shows memories of their own (no chunks of notes or files, no messages: those are
found by search and belong to their file or session). Sorting is the vault's own
(:class:`~memvault.core.records.ListOrder`), so the page and every other shell agree on what
"most important" means; paging is limit/offset, one row more than a page is read to know
whether a next page exists (no count of the whole filter). The memory page and its forms are
:mod:`memvault.web.memory` and :mod:`memvault.web.memory_forms`; their routes join these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.core.records import ListOrder, Memory
from memvault.web import memory, memory_forms
from memvault.web.context import PageContext

PER_PAGE = 25
MAX_PAGE = 10_000
ORDER_LABELS = {
    ListOrder.RECENT: "Newest first",
    ListOrder.IMPORTANCE: "Most important first",
    ListOrder.CONFIDENCE: "Most confident first",
    ListOrder.ACCESS: "Most accessed first",
}
# What a write's ``?done=`` says on the page it lands on (an unknown value says nothing).
NOTICES = {
    "updated": "Saved your changes.",
    "unchanged": "Nothing changed: the form had the memory's values.",
    "superseded": "Saved as a new version: the old one is kept as its history.",
    "validated": "Recorded the validation.",
    "forgotten": "The memory was forgotten.",
}


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The list page's GET form, read and checked: what to show and where the pager points."""

    namespace: str | None
    kind: str | None
    tag: str | None
    sort: ListOrder
    superseded: bool
    page: int

    def values(self, **changed: Any) -> dict[str, Any]:
        """The form's values as query parameters (defaults left out), with ``changed``."""
        values: dict[str, Any] = {
            "namespace": self.namespace,
            "kind": self.kind,
            "tag": self.tag,
            "sort": None if self.sort is ListOrder.RECENT else self.sort.value,
            "superseded": 1 if self.superseded else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changed)
        return values


def routes(context: PageContext) -> list[BaseRoute]:
    def listing(request: Request) -> Response:
        query = read_query(request)
        found = context.vault.list(
            namespace=query.namespace,
            kinds=[query.kind] if query.kind else [],
            tags=[query.tag] if query.tag else [],
            include_superseded=query.superseded,
            limit=PER_PAGE + 1,
            offset=(query.page - 1) * PER_PAGE,
            order=query.sort,
        )
        return context.render(
            request,
            "memories.html",
            title="Memories · memvault",
            query=query,
            rows=[row(m) for m in found[:PER_PAGE]],
            previous=query.values(page=query.page - 1 if query.page > 2 else None)
            if query.page > 1
            else None,
            following=query.values(page=query.page + 1) if len(found) > PER_PAGE else None,
            orders=ORDER_LABELS,
            notice=NOTICES.get(request.query_params.get("done", "")),
        )

    return [
        Route("/memories", listing, methods=["GET"]),
        *memory.routes(context, NOTICES),
        *memory_forms.routes(context),
    ]


def read_query(request: Request) -> ListQuery:
    params = request.query_params

    def text(name: str) -> str | None:
        value = params.get(name, "").strip()
        return value or None

    return ListQuery(
        namespace=text("namespace"),
        kind=text("kind"),
        tag=text("tag"),
        sort=inputs.list_order(text("sort") or ListOrder.RECENT),  # the vault's one rule
        superseded=params.get("superseded") in ("1", "on", "yes", "true"),
        page=page_number(text("page")),
    )


def page_number(value: str | None) -> int:
    if value is None:
        return 1
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise InvalidInputError(f"page must be a whole number from 1 to {MAX_PAGE}")
    return int(value)


def row(found: Memory) -> dict[str, Any]:
    """What one table row shows: the first line of the text, cut short, and the memory."""
    return {"preview": memory.preview(found, 120) or found.id, "memory": found}
