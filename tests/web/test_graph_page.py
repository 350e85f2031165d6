"""The Graph page on a real server: a memory's neighbourhood drawn by cytoscape.js (shipped in
the package) and clickable, a note's wiki links, the list that reads without JavaScript, and
the JSON at /api/graph with its refusals."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from memvault.service.vault import Vault
from memvault.web.graph_walk import MAX_NODES, memory_graph
from tests.web.browser import log_in, logged_in_client, memvault, web_server


@dataclass(frozen=True)
class Served:
    home: Path
    base: str
    ids: dict[str, str]  # name -> memory id


def _remember(home: Path, text: str) -> str:
    return str(json.loads(memvault(home, "remember", text, "--json", embedder="hash"))["id"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Memories a -supports-> b -depends_on-> d -relates_to-> e, and c -relates_to-> a (so a's
    depth 2 is b, c, d; e is three steps away); notes hub -> alpha -> gamma, hub -> beta."""
    home = tmp_path_factory.mktemp("graph") / "home"
    memvault(home, "init", embedder="hash")
    ids = {name: _remember(home, f"Memory {name.upper()} of the graph") for name in "abcdeu"}
    for source, target, relation in (
        ("a", "b", "supports"),
        ("b", "d", "depends_on"),
        ("d", "e", "relates_to"),
        ("c", "a", "relates_to"),
    ):
        memvault(home, "relate", ids[source], ids[target], "-r", relation, embedder="hash")
    for path, body in (
        ("topics/hub", "See [[alpha]] and [[beta]], and [[nowhere]]."),
        ("alpha", "Onwards to [[gamma]]."),
        ("beta", "A leaf."),
        ("gamma", "The end."),
    ):
        memvault(home, "note", "write", path, "-c", body, embedder="hash")
    with web_server(home, embedder="hash") as base:
        yield Served(home, base, ids)


def _wait_drawn(page: Any, count: int) -> None:
    page.wait_for_function(
        "n => window.memvaultGraph && window.memvaultGraph.nodes().length === n", arg=count
    )


def test_a_memory_graph_is_drawn_and_a_node_opens_its_page(
    served: Served, page: Any, tmp_path: Path
) -> None:
    ids = served.ids
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, served.base)
    page.goto(f"{served.base}/graph?id={ids['a']}&depth=2")
    _wait_drawn(page, 4)  # a, b, c, d: e is three steps away
    page.screenshot(path=str(tmp_path / "graph-memory.png"), full_page=True)
    drawn = page.evaluate(
        """() => {
          const cy = window.memvaultGraph;
          return {
            nodes: cy.nodes().map(n => n.id()).sort(),
            centre: cy.nodes('.centre').map(n => n.id()),
            edges: cy.edges().map(e => [e.source().id(), e.target().id(), e.data('relation')]),
          };
        }"""
    )
    assert drawn["nodes"] == sorted(ids[n] for n in "abcd")
    assert drawn["centre"] == [ids["a"]]
    assert sorted(drawn["edges"]) == sorted(
        [
            [ids["a"], ids["b"], "supports"],
            [ids["c"], ids["a"], "relates_to"],
            [ids["b"], ids["d"], "depends_on"],
        ]
    )
    assert not [e for e in errors if "Content Security Policy" in e], errors
    # Click node d where it is drawn: the browser goes to d's page.
    spot = page.evaluate(
        """id => {
          const node = window.memvaultGraph.getElementById(id);
          const box = document.getElementById('graph').getBoundingClientRect();
          const at = node.renderedPosition();
          return { x: box.left + at.x, y: box.top + at.y };
        }""",
        ids["d"],
    )
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_url(f"{served.base}/memories/{ids['d']}")
    assert "Memory D of the graph" in page.content()
    page.screenshot(path=str(tmp_path / "graph-clicked.png"), full_page=True)


def test_a_note_graph_shows_its_wiki_links_both_ways(
    served: Served, page: Any, tmp_path: Path
) -> None:
    log_in(page, served.base)
    page.goto(f"{served.base}/graph?note=alpha.md&depth=2")
    _wait_drawn(page, 4)  # alpha; gamma (out), hub (backlink); beta through hub
    page.screenshot(path=str(tmp_path / "graph-note.png"), full_page=True)
    nodes = page.evaluate(
        "() => window.memvaultGraph.nodes().map(n => [n.id(), n.data('kind'), n.data('depth')])"
    )
    assert sorted(nodes) == [
        ["alpha.md", "note", 0],
        ["beta.md", "note", 2],
        ["gamma.md", "note", 1],
        ["topics/hub.md", "note", 1],
    ]
    page.evaluate("() => window.memvaultGraph.getElementById('gamma.md').emit('tap')")
    page.wait_for_url(re.compile(r"/notes/view\?path=gamma\.md$"))
    assert page.get_by_text("The end.").is_visible()


def test_without_javascript_the_neighbours_are_listed_as_links(
    served: Served, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, served.base)
        page.goto(f"{served.base}/graph?id={served.ids['b']}&depth=1")
        page.screenshot(path=str(tmp_path / "graph-nojs.png"), full_page=True)
        rows = page.locator("table.graph-list tbody tr")
        assert rows.count() == 2  # a (supports, incoming), d (depends_on, outgoing)
        texts = sorted(" | ".join(rows.nth(i).locator("td").all_inner_texts()) for i in range(2))
        assert texts == [
            "Memory A of the graph | memory | supports | incoming | 1",
            "Memory D of the graph | memory | depends_on | outgoing | 1",
        ]
        link = page.get_by_role("link", name="Memory D of the graph")
        assert link.get_attribute("href") == f"/memories/{served.ids['d']}"
        assert not page.locator("#graph").is_visible()  # nothing to draw without JS
        # The form alone, with a hint, when nothing is asked for.
        page.goto(f"{served.base}/graph")
        assert page.get_by_label("Memory id").is_visible()
        assert page.get_by_label("Depth").is_visible()
        assert page.get_by_text("to see what is linked to it").is_visible()
    finally:
        context.close()


def test_api_graph_shape_and_refusals(served: Served) -> None:
    client, _csrf = logged_in_client(served.base)
    ids = served.ids
    answer = client.get("/api/graph", params={"id": ids["a"], "depth": "3"})
    assert answer.status_code == 200
    data = answer.json()
    assert set(data) == {"centre", "nodes", "edges", "truncated"} and data["truncated"] is False
    by_id = {node["id"]: node for node in data["nodes"]}
    assert set(by_id) == {ids[n] for n in "abcde"}  # u has no edges
    assert by_id[ids["e"]] == {
        "id": ids["e"],
        "label": "Memory E of the graph",
        "kind": "memory",
        "url": f"/memories/{ids['e']}",
        "depth": 3,
    }
    assert {"source": ids["d"], "target": ids["e"], "relation": "relates_to"} in data["edges"]
    notes = client.get("/api/graph", params={"note": "topics/hub", "depth": "1"}).json()
    assert sorted(n["id"] for n in notes["nodes"]) == ["alpha.md", "beta.md", "topics/hub.md"]
    assert {"source": "topics/hub.md", "target": "beta.md", "relation": "relates_to"} in (
        notes["edges"]
    )
    # Looking is not an access: a, the centre of several graphs by now, was never used.
    shown = json.loads(memvault(served.home, "get", ids["a"], "--json", embedder="hash"))
    assert shown["access_count"] <= 1  # this CLI get itself counts once
    for params, status in (
        ({"id": "01a23bd6-0000-7000-8000-000000000000"}, 404),
        ({"note": "no/such.md"}, 404),
        ({"id": ids["a"], "depth": "4"}, 400),
        ({"id": ids["a"], "depth": "0"}, 400),
        ({"id": ids["a"], "depth": "two"}, 400),
        ({"note": "../escape.md"}, 400),
        ({}, 400),
    ):
        refused = client.get("/api/graph", params=params)
        assert refused.status_code == status, (params, refused.text)
        assert set(refused.json()) == {"error"}
        page = client.get("/graph", params=params)
        expected = 200 if not params else status  # the bare page is the form
        assert page.status_code == expected, (params, page.text)
        if status != 200 and params:
            lines = re.findall(r'<p class="error" role="alert">([^<]*)</p>', page.text)
            assert len(lines) == 1, page.text


def test_a_db_only_vault_says_it_has_no_notes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    memvault(home, "init", "--no-vault", embedder="hash")
    with web_server(home, embedder="hash") as base:
        client, _csrf = logged_in_client(base)
        refused = client.get("/api/graph", params={"note": "ideas/plan.md"})
        assert refused.status_code == 400
        assert "no Markdown folder" in refused.json()["error"]
        page = client.get("/graph", params={"note": "ideas/plan.md"})
        assert page.status_code == 400 and "no Markdown folder" in page.text


def test_a_graph_is_cut_at_its_node_bound_and_says_so(vault: Vault) -> None:
    hub = vault.remember("the hub").id
    for n in range(MAX_NODES + 5):
        vault.relate(hub, vault.remember(f"spoke {n}").id, "relates_to")
    graph = memory_graph(vault, hub, 1)
    assert graph.truncated and len(graph.nodes) == MAX_NODES
    drawn = {node.id for node in graph.nodes}
    assert all(e.source in drawn and e.target in drawn for e in graph.edges)
    assert len(graph.edges) == MAX_NODES - 1
    small = memory_graph(vault, vault.remember("alone").id, 3)
    assert not small.truncated and [n.id for n in small.nodes] == [small.centre.id]
