"""The Graph page: the neighbourhood of a memory or a note, depth 1 to 3.

The page itself is a form and a list of the neighbours as links (with the relation and the
depth that reached each), so it reads fine with JavaScript off. ``static/graph.js`` then fetches
the same neighbourhood from ``/api/graph`` and draws it with cytoscape.js, which ships in the
package (``static/vendor``): the CSP allows scripts from this server only.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from memvault.core.errors import InvalidInputError
from memvault.web.context import PageContext
from memvault.web.graph_walk import (
    MAX_DEPTH,
    MAX_NODES,
    Neighbourhood,
    memory_graph,
    note_graph,
    parse_depth,
)


def routes(context: PageContext) -> list[BaseRoute]:
    def page(request: Request) -> Response:
        depth = parse_depth(request.query_params.get("depth"))
        memory_id, note = _subject(request)
        graph = _neighbourhood(context, request) if memory_id or note else None
        return context.render(
            request,
            "graph.html",
            title=f"{graph.centre.label} · Graph · memvault" if graph else "Graph · memvault",
            graph=graph,
            memory_id=memory_id or "",
            note=note or "",
            depth=depth,
            depths=range(1, MAX_DEPTH + 1),
            max_nodes=MAX_NODES,
        )

    def api(request: Request) -> Response:
        graph = _neighbourhood(context, request)
        if graph is None:
            raise InvalidInputError("give id=MEMORY_ID or note=PATH")
        return JSONResponse(graph.to_dict())

    return [Route("/graph", page, methods=["GET"]), Route("/api/graph", api, methods=["GET"])]


def _subject(request: Request) -> tuple[str | None, str | None]:
    """The memory id or the note path asked for (not both)."""
    memory_id = (request.query_params.get("id") or "").strip() or None
    note = (request.query_params.get("note") or "").strip() or None
    if memory_id and note:
        raise InvalidInputError("give either a memory id or a note path, not both")
    return memory_id, note


def _neighbourhood(context: PageContext, request: Request) -> Neighbourhood | None:
    depth = parse_depth(request.query_params.get("depth"))
    memory_id, note = _subject(request)
    if memory_id:
        return memory_graph(context.vault, memory_id, depth)
    if note:
        # A DB-only vault has no notes: Vault.notes says so (400).
        return note_graph(context.vault.notes, note, depth)
    return None
