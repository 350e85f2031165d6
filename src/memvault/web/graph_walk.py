"""The neighbourhood of a memory or a note, as the Graph page draws and lists it.

Memories come from :meth:`Vault.neighbours` (one walk in the store, both directions): each
neighbour brings the edge that reached it, and those edges are what is drawn. Notes have no
such walk: their ``[[wiki links]]`` and backlinks (``Notes.links``) are followed breadth-first
here, one ``links`` call per note reached, which the node bound keeps small. Everything is read
without counting an access (a person looking at the graph is not an agent using a memory).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from memvault.core.errors import InvalidInputError, NotFoundError
from memvault.core.records import Memory
from memvault.folder.notes import Notes
from memvault.service.vault import Vault
from memvault.web.markdown_view import view_url
from memvault.web.memory import preview

MAX_DEPTH = 3
MAX_NODES = 200  # beyond this the drawing is a hairball and the list a wall: cut and say so
LABEL = 60


@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str
    label: str
    kind: str  # memory | note
    url: str
    depth: int
    # How the walk reached it (None for the centre): the relation, and whether the edge
    # points from the node before it to this one.
    relation: str | None = None
    outgoing: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "kind": self.kind,
            "url": self.url,
            "depth": self.depth,
        }


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: str
    target: str
    relation: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "relation": self.relation}


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    centre: GraphNode
    nodes: tuple[GraphNode, ...]  # the centre first, then by depth
    edges: tuple[GraphEdge, ...]
    truncated: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "centre": self.centre.id,
            "nodes": [node.to_dict() for node in self.nodes],
            "edges": [edge.to_dict() for edge in self.edges],
            "truncated": self.truncated,
        }


def parse_depth(text: str | None) -> int:
    """``depth`` of the query: 1 when absent; a whole number 1 to 3, else one 400 line."""
    if text is None or not text.strip():
        return 1
    try:
        depth = int(text)
    except ValueError:
        depth = 0
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidInputError(f"depth must be a whole number from 1 to {MAX_DEPTH}, not {text!r}")
    return depth


def memory_graph(vault: Vault, memory_id: str, depth: int) -> Neighbourhood:
    centre = _memory_node(vault.get(memory_id, touch=False), 0)
    found = vault.neighbours(centre.id, depth=depth)
    kept = found[: MAX_NODES - 1]  # nearest first: a cut drops the farthest
    nodes = [centre]
    for neighbour in kept:
        edge = neighbour.edge
        node = _memory_node(neighbour.memory, neighbour.depth)
        outgoing = edge.target_id == node.id
        nodes.append(_reached(node, edge.relation, outgoing=outgoing))
    present = {node.id for node in nodes}
    edges = _unique(
        GraphEdge(n.edge.source_id, n.edge.target_id, n.edge.relation)
        for n in kept
        if n.edge.source_id in present and n.edge.target_id in present
    )
    return Neighbourhood(centre, tuple(nodes), edges, len(found) > len(kept))


def note_graph(notes: Notes, path: str, depth: int) -> Neighbourhood:
    """Breadth-first over links out and backlinks; a link to no note yet is not a node."""
    start = notes.read(path)
    centre = _note_node(start.path, 0, label=start.title)
    nodes: dict[str, GraphNode] = {centre.id: centre}
    edges: list[GraphEdge] = []
    queue = deque([centre])
    truncated = False
    while queue:
        here = queue.popleft()
        if here.depth >= depth:
            continue
        for other, edge, outgoing in _note_links(notes, here.id):
            if other not in nodes:
                if len(nodes) >= MAX_NODES:
                    truncated = True
                    continue
                node = _note_node(other, here.depth + 1)
                nodes[other] = _reached(node, edge.relation, outgoing=outgoing)
                queue.append(nodes[other])
            edges.append(edge)
    return Neighbourhood(centre, tuple(nodes.values()), _unique(edges), truncated)


def _note_links(notes: Notes, path: str) -> list[tuple[str, GraphEdge, bool]]:
    """(the other note, the edge, whether it points away from ``path``) for every resolved
    link of the note; none for a file the index has not read yet."""
    try:
        out, back = notes.links(path)
    except NotFoundError:
        return []
    found = [
        (link.resolved_path, GraphEdge(path, link.resolved_path, link.relation), True)
        for link in out
        if link.resolved_path and link.resolved_path != path
    ]
    found += [
        (link.source_path, GraphEdge(link.source_path, path, link.relation), False)
        for link in back
        if link.source_path != path
    ]
    return found


def _memory_node(memory: Memory, depth: int) -> GraphNode:
    label = preview(memory, LABEL) or memory.id
    return GraphNode(memory.id, label, "memory", f"/memories/{memory.id}", depth)


def _note_node(path: str, depth: int, label: str | None = None) -> GraphNode:
    name = label or path.rpartition("/")[2].removesuffix(".md")
    return GraphNode(path, name, "note", view_url(path), depth)


def _reached(node: GraphNode, relation: str, *, outgoing: bool) -> GraphNode:
    return GraphNode(node.id, node.label, node.kind, node.url, node.depth, relation, outgoing)


def _unique(edges: Iterable[GraphEdge]) -> tuple[GraphEdge, ...]:
    """Each edge once (a note's link is seen from both of its ends), in the order found."""
    return tuple(dict.fromkeys(edges))
