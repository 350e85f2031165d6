"""The neighbourhood of a memory or of a note, bounded: what a picture of the graph shows.

``Vault.neighbours`` answers "which memories are near this one"; a picture also needs every
edge between the memories it shows (not only the one that reached each of them), and a cap, so
that a hub with thousands of edges draws its nearest part and says it was cut. Notes have no
edges of their own: their wiki links (and the relations their front matter names) are the
edges, walked out and back (backlinks count) from the note, breadth first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from memvault.core import inputs
from memvault.core.file_records import FOLDER_ROOT, LinkView
from memvault.core.records import Memory, Neighbour
from memvault.folder.notes import Notes
from memvault.storage.roles import Store

GRAPH_NODES = 200  # the most nodes a neighbourhood holds by default, its centre included


class NodeKind(StrEnum):
    MEMORY = "memory"  # a memory of its own
    CHUNK = "chunk"  # a memory cut from a note or an indexed file (it has a location)
    NOTE = "note"  # a note of the Markdown folder, by its path


@dataclass(frozen=True, slots=True)
class GraphLink:
    """A directed, typed edge between two nodes (memory ids or note paths)."""

    source: str
    target: str
    relation: str


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A memory (``key`` its id, ``memory`` set) or a note (``key`` its path) at ``depth``
    links from the centre; ``via`` is the link that reached it (None for the centre)."""

    key: str
    kind: NodeKind
    title: str
    depth: int
    via: GraphLink | None = None
    memory: Memory | None = None


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """The centre first, then the nodes nearest first; every link between shown nodes.
    ``truncated``: more nodes were within reach than the cap let in (the farthest were left)."""

    centre: GraphNode
    nodes: tuple[GraphNode, ...]
    links: tuple[GraphLink, ...]
    truncated: bool


def memory_neighbourhood(
    store: Store, centre: Memory, reached: Sequence[Neighbour], *, limit: int
) -> Neighbourhood:
    """``reached`` (a walk's answer, nearest first) cut to ``limit`` nodes with the centre,
    and the edges among what is kept (read from the kept memories' outgoing edges)."""
    kept = list(reached[: limit - 1])
    first = GraphNode(centre.id, _memory_kind(centre), centre.content, 0, memory=centre)
    nodes = [first]
    for neighbour in kept:
        edge = neighbour.edge
        via = GraphLink(edge.source_id, edge.target_id, edge.relation)
        memory = neighbour.memory
        nodes.append(
            GraphNode(memory.id, _memory_kind(memory), memory.content, neighbour.depth, via, memory)
        )
    shown = {node.key for node in nodes}
    links = {
        GraphLink(edge.source_id, edge.target_id, edge.relation): None
        for record in store.memory_records(sorted(shown)).values()
        for edge in record.relations
        if edge.target_id in shown
    }
    return Neighbourhood(first, tuple(nodes), tuple(links), len(reached) > len(kept))


def note_neighbourhood(
    store: Store, notes: Notes, path: str, *, depth: int, limit: int
) -> Neighbourhood:
    """Breadth first from the note over links written in notes, both ways (a link to a name
    no note has yet leads nowhere and is left out); titles as the index holds them."""
    inputs.positive(depth, "depth", inputs.MAX_GRAPH_DEPTH)
    centre = notes.read(path)
    walk = _NoteWalk(notes.links, depth, limit)
    walk.run(centre.path)
    nodes = [
        GraphNode(
            key,
            NodeKind.NOTE,
            centre.title if key == centre.path else _note_title(store, key),
            level,
            walk.via.get(key),
        )
        for key, level in walk.depths.items()
    ]
    return Neighbourhood(nodes[0], tuple(nodes), tuple(walk.links), walk.truncated)


class _NoteWalk:
    """The walk's state: each note's depth (in the order met), the link that reached it, and
    every link seen between notes that are kept."""

    def __init__(
        self,
        links_of: Callable[[str], tuple[list[LinkView], list[LinkView]]],
        depth: int,
        limit: int,
    ) -> None:
        self._links_of = links_of
        self._depth = depth
        self._limit = limit
        self.depths: dict[str, int] = {}
        self.via: dict[str, GraphLink] = {}
        self.links: dict[GraphLink, None] = {}
        self.truncated = False

    def run(self, start: str) -> None:
        self.depths[start] = 0
        queue = [start]
        seen: list[GraphLink] = []
        for path in queue:  # grows while it is read: breadth first
            written, incoming = self._links_of(path)
            found = [
                *(GraphLink(path, w.resolved_path, w.relation) for w in written if w.resolved_path),
                *(GraphLink(i.source_path, path, i.relation) for i in incoming),
            ]
            for link in found:
                if link.source == link.target:
                    continue
                seen.append(link)
                other = link.target if link.source == path else link.source
                if other in self.depths or self.depths[path] >= self._depth:
                    continue
                if len(self.depths) >= self._limit:
                    self.truncated = True
                    continue
                self.depths[other] = self.depths[path] + 1
                self.via[other] = link
                queue.append(other)
        self.links = {
            link: None for link in seen if link.source in self.depths and link.target in self.depths
        }


def _note_title(store: Store, path: str) -> str:
    indexed = store.get_file(FOLDER_ROOT, path)
    return indexed.title if indexed is not None and indexed.title else path


def _memory_kind(memory: Memory) -> NodeKind:
    return NodeKind.MEMORY if memory.location is None else NodeKind.CHUNK
