"""The Graph page: the neighbourhood of a memory or a note, drawn and listed.

``/graph?id=MEMORY_ID`` (or ``?note=PATH``) ``&depth=1..3`` lists the nodes as a tree of links
from the centre (each under the node it was reached from, with the relation), so the page reads
with JavaScript off and from the keyboard; ``static/graph.js`` then fetches the same
neighbourhood from ``/api/graph`` and draws it with Cytoscape.js (``static/vendor/``, shipped in
the package). The walk and its cap are the vault's (:meth:`Vault.neighbourhood`,
:meth:`Vault.note_neighbourhood`); this module only reads the query and shapes the answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from memvault.core.errors import InvalidInputError
from memvault.service.neighbourhood import GraphNode, Neighbourhood, NodeKind
from memvault.web.context import PageContext

MAX_DEPTH = 3  # deeper than this the picture is a hairball: the page offers 1 to 3
LABEL_CHARS = 80


@dataclass(frozen=True, slots=True)
class GraphQuery:
    """What the page was asked for: a memory's id or a note's path, and the depth."""

    memory_id: str | None
    note: str | None
    depth: int

    def params(self, depth: int | None = None) -> str:
        key, value = ("id", self.memory_id) if self.memory_id else ("note", self.note)
        return urlencode({key: value, "depth": self.depth if depth is None else depth})


def routes(context: PageContext) -> list[BaseRoute]:
    def page(request: Request) -> Response:
        query = read_query(request)
        if query is None:
            return context.render(
                request, "graph.html", title="Graph · memvault", query=None, depth=1
            )
        found = _neighbourhood(context, query)
        return context.render(
            request,
            "graph.html",
            title=f"Graph of {label(found.centre)} · memvault",
            query=query,
            depth=query.depth,
            centre=found.centre,
            tree=_tree(found, query.depth),
            rows=_link_rows(found),
            found=found,
            api=f"/api/graph?{query.params()}",
            depths=range(1, MAX_DEPTH + 1),
        )

    def api(request: Request) -> Response:
        query = read_query(request)
        if query is None:
            raise InvalidInputError("give id=MEMORY_ID or note=PATH")
        return JSONResponse(graph_json(_neighbourhood(context, query)))

    return [Route("/graph", page), Route("/api/graph", api)]


def read_query(request: Request) -> GraphQuery | None:
    """The query, checked; None when neither a memory nor a note is asked for (the form)."""
    params = request.query_params
    memory_id = (params.get("id") or "").strip() or None
    note = (params.get("note") or "").strip() or None
    if memory_id and note:
        raise InvalidInputError("give either id= or note=, not both")
    raw = (params.get("depth") or "1").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DEPTH:
        raise InvalidInputError(f"depth must be a whole number from 1 to {MAX_DEPTH}")
    if memory_id is None and note is None:
        return None
    return GraphQuery(memory_id, note, int(raw))


def graph_json(found: Neighbourhood) -> dict[str, Any]:
    """What ``graph.js`` draws: nodes (centre first) with their page, edges, and the cut."""
    return {
        "centre": found.centre.key,
        "nodes": [
            {
                "id": node.key,
                "label": label(node),
                "kind": node.kind.value,
                "url": node_url(node),
                "depth": node.depth,
            }
            for node in found.nodes
        ],
        "edges": [
            {"source": link.source, "target": link.target, "relation": link.relation}
            for link in found.links
        ],
        "truncated": found.truncated,
    }


def node_url(node: GraphNode) -> str:
    if node.kind is NodeKind.NOTE:
        return f"/notes/view?{urlencode({'path': node.key})}"
    return f"/memories/{quote(node.key)}"


def recentre_url(node: GraphNode, depth: int) -> str:
    key = "note" if node.kind is NodeKind.NOTE else "id"
    return f"/graph?{urlencode({key: node.key, 'depth': depth})}"


def label(node: GraphNode) -> str:
    """One line of the node's title or content, cut to a length a list or a picture holds."""
    text = " ".join(node.title.split())
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class TreeItem:
    """A node in the page's list: under the node it was reached from (``parent``), with the
    relation and its direction (``outgoing``: this node -relation-> parent)."""

    node: GraphNode
    label: str
    url: str
    recentre: str
    relation: str | None
    outgoing: bool
    children: tuple[TreeItem, ...]


def _tree(found: Neighbourhood, depth: int) -> TreeItem:
    """The walk's tree (each node under the one it was reached from); re-centring keeps the
    depth asked for."""
    children: dict[str, list[GraphNode]] = defaultdict(list)
    for node in found.nodes[1:]:
        if node.via is not None:
            parent = node.via.target if node.via.source == node.key else node.via.source
            children[parent].append(node)

    def item(node: GraphNode) -> TreeItem:
        via = node.via
        return TreeItem(
            node,
            label(node),
            node_url(node),
            recentre_url(node, depth),
            None if via is None else via.relation,
            via is not None and via.source == node.key,
            tuple(item(child) for child in children.get(node.key, ())),
        )

    return item(found.centre)


def _link_rows(found: Neighbourhood) -> list[tuple[str, str, str, str, str]]:
    """Every link between shown nodes for the table: (from, its page, relation, to, its page)."""
    by_key = {node.key: node for node in found.nodes}
    rows = []
    for link in found.links:
        source, target = by_key.get(link.source), by_key.get(link.target)
        if source is not None and target is not None:
            rows.append(
                (label(source), node_url(source), link.relation, label(target), node_url(target))
            )
    return rows


def _neighbourhood(context: PageContext, query: GraphQuery) -> Neighbourhood:
    if query.memory_id is not None:
        return context.vault.neighbourhood(query.memory_id, depth=query.depth)
    assert query.note is not None
    return context.vault.note_neighbourhood(query.note, depth=query.depth)
