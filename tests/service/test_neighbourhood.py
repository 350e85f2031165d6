"""The neighbourhood a picture of the graph draws: nodes nearest first, every edge between them,
a cap that says when it cut; for notes, wiki links walked both ways."""

from __future__ import annotations

import pytest

from memvault.core.errors import InvalidInputError, NotFoundError
from memvault.service.neighbourhood import GraphLink, NodeKind
from memvault.service.vault import Vault


def test_a_memory_neighbourhood_has_every_edge_between_its_nodes(vault: Vault) -> None:
    a, b, c, d = (vault.remember(f"node {name}").id for name in "abcd")
    vault.relate(a, b, "supports")
    vault.relate(a, c)
    vault.relate(b, c, "derived_from")  # between two depth-1 nodes: no walk reaches c by it
    vault.relate(d, c)
    found = vault.neighbourhood(a, depth=1)
    assert found.centre.key == a and found.centre.depth == 0 and found.centre.via is None
    assert [(n.key, n.depth) for n in found.nodes] == [(a, 0), (b, 1), (c, 1)]
    assert set(found.links) == {
        GraphLink(a, b, "supports"),
        GraphLink(a, c, "relates_to"),
        GraphLink(b, c, "derived_from"),
    }
    assert not found.truncated
    deeper = vault.neighbourhood(a, depth=2)
    assert (d, 2) in [(n.key, n.depth) for n in deeper.nodes]
    reached_d = next(n for n in deeper.nodes if n.key == d)
    assert reached_d.via == GraphLink(d, c, "relates_to")
    assert reached_d.kind is NodeKind.MEMORY and reached_d.title == "node d"


def test_a_neighbourhood_past_its_cap_keeps_the_nearest_and_says_it_was_cut(
    vault: Vault,
) -> None:
    hub = vault.remember("the hub").id
    spokes = [vault.remember(f"spoke {i}").id for i in range(5)]
    for spoke in spokes:
        vault.relate(hub, spoke)
    far = vault.remember("beyond the spokes").id
    vault.relate(spokes[0], far)
    cut = vault.neighbourhood(hub, depth=2, limit=6)
    assert len(cut.nodes) == 6 and cut.truncated
    assert far not in {n.key for n in cut.nodes}  # the farthest go first
    assert all({link.source, link.target} <= {n.key for n in cut.nodes} for link in cut.links)
    whole = vault.neighbourhood(hub, depth=2, limit=7)
    assert len(whole.nodes) == 7 and not whole.truncated


def test_a_chunk_of_a_note_in_a_neighbourhood_is_a_chunk(vault: Vault) -> None:
    vault.notes.write("design", "# Design\n\nThe store is SQLite in WAL mode.")
    chunk = next(m for m in vault.list(include_chunks=True) if m.location is not None)
    memory = vault.remember("We chose WAL for concurrent readers").id
    vault.relate(memory, chunk.id, "documented_in")
    found = vault.neighbourhood(memory)
    assert [(n.key, n.kind) for n in found.nodes] == [
        (memory, NodeKind.MEMORY),
        (chunk.id, NodeKind.CHUNK),
    ]


def test_unknown_memories_and_depths_out_of_range_are_refused(vault: Vault) -> None:
    with pytest.raises(NotFoundError):
        vault.neighbourhood("01900000-0000-7000-8000-000000000000")
    lonely = vault.remember("lonely").id
    assert [n.key for n in vault.neighbourhood(lonely).nodes] == [lonely]
    with pytest.raises(InvalidInputError):
        vault.neighbourhood(lonely, depth=0)
    with pytest.raises(InvalidInputError):
        vault.neighbourhood(lonely, limit=0)


def test_a_note_neighbourhood_follows_links_and_backlinks(vault: Vault) -> None:
    notes = vault.notes
    notes.write("hub", "See [[left]] and [[Right]] and [[nobody yet]].")
    notes.write("left", "# Left side\nBack to [[hub]].")
    notes.write("right", "On to [[far]].")
    notes.write("far", "The end.")
    notes.write("fan", "A fan of [[hub]].")
    found = vault.note_neighbourhood("hub", depth=1)
    assert found.centre.key == "hub.md" and found.centre.kind is NodeKind.NOTE
    assert {(n.key, n.depth) for n in found.nodes} == {
        ("hub.md", 0),
        ("left.md", 1),
        ("right.md", 1),
        ("fan.md", 1),
    }  # "nobody yet" names no note: no node
    assert next(n.title for n in found.nodes if n.key == "left.md") == "Left side"
    assert set(found.links) == {
        GraphLink("hub.md", "left.md", "relates_to"),
        GraphLink("hub.md", "right.md", "relates_to"),
        GraphLink("left.md", "hub.md", "relates_to"),
        GraphLink("fan.md", "hub.md", "relates_to"),
    }
    deeper = vault.note_neighbourhood("hub.md", depth=2)
    assert ("far.md", 2) in {(n.key, n.depth) for n in deeper.nodes}
    cut = vault.note_neighbourhood("hub", depth=2, limit=3)
    assert len(cut.nodes) == 3 and cut.truncated
    with pytest.raises(NotFoundError):
        vault.note_neighbourhood("no-such-note")
