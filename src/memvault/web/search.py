"""``/``: search as an agent sees it, one GET form, so every result page is a link.

The form asks ``Vault.search`` exactly what the MCP ``search`` tool asks (hybrid by default,
keyword or vector on request, the same filters), and each hit shows what the tool's ``explain``
returns: every signal's own rank and score and the fused score, so a person can see why an
agent got what it got. Search is not an access (``Vault.search`` counts none); opening a hit's
memory page is.

Paging asks for one page more than it shows (``k = page * 10 + 1``) and slices, like the tool's
cursor: each page runs the search again, so every page must rank like the first, which hybrid
fusion only does within its depth (it normalises over its top ``depth`` candidates per signal).
Hybrid pages therefore stop at the fusion depth, keyword and vector pages at ``MAX_SEARCH_K``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.core.records import SearchHit, SearchMode
from memvault.core.times import parse_timestamp
from memvault.service.fusion import DEFAULT_FUSION
from memvault.web.context import PageContext
from memvault.web.highlight import QueryWords, highlight, query_words
from memvault.web.markdown_view import view_url

PER_PAGE = 10
SNIPPET = 600  # characters of a hit's text shown on the page; the memory page has all of it
NOTE_KIND = "note"  # chunks of the vault's own notes (the others are files of `memvault index`)
MODE_LABELS = {
    SearchMode.HYBRID: "Hybrid",
    SearchMode.KEYWORD: "Keyword",
    SearchMode.VECTOR: "Vector",
}
SIGNAL_LABELS = {
    "keyword": "keyword (BM25)",
    "vector": "vector (cosine)",
    "adjacent": "next to a hit",
}
_TRUE = ("1", "on", "yes", "true")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """The search form, read and checked; ``values`` is what a link to another page keeps."""

    text: str
    mode: SearchMode
    namespace: str | None
    kinds: tuple[str, ...]
    tags: tuple[str, ...]
    since: str | None  # as the form gave it (a date), for the form
    until: str | None
    superseded: bool
    page: int

    def values(self, **changed: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "q": self.text,
            "mode": None if self.mode is SearchMode.HYBRID else self.mode.value,
            "namespace": self.namespace,
            "kind": list(self.kinds),
            "tag": list(self.tags),
            "since": self.since,
            "until": self.until,
            "superseded": 1 if self.superseded else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changed)
        return values

    @property
    def deepest(self) -> int:
        """How many hits this mode can page through (see the module's docstring)."""
        return DEFAULT_FUSION.depth if self.mode is SearchMode.HYBRID else inputs.MAX_SEARCH_K

    @property
    def last_page(self) -> int:
        return -(-self.deepest // PER_PAGE)


@dataclass(frozen=True, slots=True)
class HitView:
    """One hit as the page shows it."""

    rank: int
    hit: SearchHit
    content: Markup  # escaped, the query's words marked
    where: str | None  # file:lines of a chunk
    where_url: str | None  # the note's page, for chunks of notes
    signals: tuple[tuple[str, str, int, float], ...]  # (name, label, rank, score)


def routes(context: PageContext) -> list[BaseRoute]:
    def page(request: Request) -> Response:
        query = read_query(request)
        values: dict[str, Any] = {"query": query, "modes": MODE_LABELS}
        if not query.text.strip():
            stats = context.vault.stats()
            values.update(memories=stats.current, chunks=stats.chunks, messages=stats.messages)
            return context.render(request, "search.html", title="Search · memvault", **values)
        if query.page > query.last_page:
            raise InvalidInputError(
                f"page {query.page} is past the last page {query.mode.value} search ranks "
                f"({query.last_page}): refine the query or filters"
            )
        hits = run_search(context, query)
        first = (query.page - 1) * PER_PAGE
        words = query_words(query.text)
        shown = [
            hit_view(first + n + 1, hit, words)
            for n, hit in enumerate(hits[first : first + PER_PAGE])
        ]
        more = len(hits) > first + PER_PAGE and query.page < query.last_page
        values.update(
            hits=shown,
            first=first + 1,
            nothing_relevant=bool(shown) and all(v.hit.weak for v in shown),
            previous=query.values(page=query.page - 1 if query.page > 2 else None)
            if query.page > 1
            else None,
            following=query.values(page=query.page + 1) if more else None,
        )
        title = f"{query.text[:60]} · Search · memvault"
        return context.render(request, "search.html", title=title, **values)

    return [Route("/", page, methods=["GET"])]


def run_search(context: PageContext, query: SearchQuery) -> list[SearchHit]:
    """The vault's search with one hit more than this page shows (is there a next page?)."""
    after, before = date_bounds(query.since, query.until)
    wanted = min(query.page * PER_PAGE + 1, query.deepest)
    return context.vault.search(
        query.text,
        k=wanted,
        mode=query.mode,
        namespace=query.namespace,
        kinds=query.kinds,
        tags=query.tags,
        since=after,
        until=before,
        include_superseded=query.superseded,
    )


def read_query(request: Request) -> SearchQuery:
    params = request.query_params

    def text(name: str) -> str | None:
        value = params.get(name, "").strip()
        return value or None

    def many(name: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in params.getlist(name) if v.strip())

    return SearchQuery(
        text=inputs.utf8_text(params.get("q", ""), "query"),
        mode=inputs.search_mode(text("mode") or SearchMode.HYBRID.value),
        namespace=text("namespace"),
        kinds=many("kind"),
        tags=many("tag"),
        since=text("since"),
        until=text("until"),
        superseded=params.get("superseded", "").lower() in _TRUE,
        page=page_number(text("page")),
    )


def page_number(value: str | None) -> int:
    if value is None:
        return 1
    if not value.isdigit() or int(value) < 1:
        raise InvalidInputError(f"page must be a whole number from 1: {value!r} is not")
    return int(value)


def date_bounds(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """The form's dates as the search's bounds. ``until`` is inclusive on the page (a date
    picker's "until the 31st" includes the 31st), so a plain date becomes the next day, which
    the search's ``until`` (created before) excludes."""
    after = None if since is None else _checked(since, "since")
    before = None if until is None else _checked(until, "until")
    if before is not None and _is_date(before):
        before = (date.fromisoformat(before) + timedelta(days=1)).isoformat()
    if (
        after is not None
        and before is not None
        and parse_timestamp(after) >= parse_timestamp(before)
    ):
        raise InvalidInputError(f"since ({since}) is after until ({until}): nothing is between")
    return after, before


def _checked(value: str, field: str) -> str:
    try:
        parse_timestamp(value)
    except InvalidInputError:
        raise InvalidInputError(
            f"{field} is not a date: {value!r} (use YYYY-MM-DD, e.g. 2026-01-31)"
        ) from None
    return value


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def hit_view(rank: int, hit: SearchHit, words: QueryWords) -> HitView:
    memory = hit.memory
    where = where_url = None
    if memory.location is not None:
        place = memory.location
        page = f" p.{place.page}" if place.page else ""
        lines = f"{place.line_start}-{place.line_end}"
        where = f"{place.path}{page}:{lines}"
        if memory.kind == NOTE_KIND:
            where_url = view_url(place.path, place.heading)
    signals = tuple(
        (name, SIGNAL_LABELS.get(name, name), signal.rank, signal.score)
        for name, signal in sorted(hit.signals.items())
    )
    return HitView(
        rank=rank,
        hit=hit,
        content=highlight(memory.content, words, limit=SNIPPET),
        where=where,
        where_url=where_url,
        signals=signals,
    )
