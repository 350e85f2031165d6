"""The Graph page in a real chromium against a real server: the neighbourhood of a memory and
of a note drawn with the vendored Cytoscape.js, clickable, re-centred by a double-click; the
same neighbourhood as a list of links with JavaScript off; ``/api/graph`` and its refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
import pytest

import memvault as memvault_api
from tests.web.browser import log_in, logged_in_client, memvault, web_server

UNKNOWN = "01900000-0000-7000-8000-000000000000"
SPOKES = 230  # more than the page's cap of 200 nodes

DRAWN = """() => { const cy = window.memvaultGraph;
  return {nodes: cy.nodes().map(n => n.id()).sort(),
          kinds: [...new Set(cy.nodes().map(n => n.data('kind')))].sort(),
          centre: cy.nodes('.centre').map(n => n.id()),
          edges: cy.edges().map(e => [e.data('source'), e.data('relation'), e.data('target')])
                 .sort(),
          labels: cy.edges().map(e => e.style('label')).sort()} }"""

# Where a node is drawn, in the page's coordinates (for a real mouse click on the canvas).
NODE_AT = """(id) => { const cy = window.memvaultGraph;
  const p = cy.getElementById(id).renderedPosition();
  const box = cy.container().getBoundingClientRect(); return [box.left + p.x, box.top + p.y]; }"""

FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A vault built with the CLI (five memories with relations, four notes with wiki links)
    plus a hub past the cap; the running server's URL and the memories' ids by name."""
    home = tmp_path_factory.mktemp("graph") / "home"
    memvault(home, "init", embedder="hash")
    texts = {
        "alpha": "Alpha: the store is SQLite",
        "beta": "Beta: WAL mode lets readers go on",
        "gamma": "Gamma: checkpoint the WAL when it grows",
        "delta": "Delta: three links from alpha",
        "epsilon": "Epsilon: a JSON file was considered",
    }
    ids = {
        name: json.loads(memvault(home, "remember", text, "--json", embedder="hash"))["id"]
        for name, text in texts.items()
    }
    for source, target, relation in [
        ("alpha", "beta", "supports"),
        ("beta", "gamma", "relates_to"),
        ("gamma", "delta", "relates_to"),
        ("epsilon", "alpha", "contradicts"),
    ]:
        memvault(home, "relate", ids[source], ids[target], "-r", relation, embedder="hash")
    for path, body in [
        ("plans/roadmap", "Next: [[storage]] and [[Search]], later [[nobody wrote this]]."),
        ("storage", "# Storage design\n\nSee [[plans/roadmap]]."),
        ("search", "Hybrid search. More in [[ranking]]."),
        ("ranking", "Fusion weights."),
    ]:
        memvault(home, "note", "write", path, "-c", body, embedder="hash")
    with memvault_api.open(home, embedder="hash", background=False) as vault:  # many: in-process
        hub = vault.remember("Hub: a memory with many links").id
        for outcome in vault.remember_many(
            [memvault_api.MemoryDraft(f"spoke number {i}") for i in range(SPOKES)]
        ):
            vault.relate(hub, outcome.id)
    ids["hub"] = hub
    with web_server(home, embedder="hash") as base:
        yield base, ids


def _watch(page: Any) -> list[str]:
    """Console errors (a CSP violation is one) and uncaught script errors, as they come."""
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and "favicon" not in message.location.get("url", ""):
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _drawn(page: Any) -> dict[str, Any]:
    page.wait_for_selector("#graph[data-state=ready]")  # laid out
    drawn: dict[str, Any] = page.evaluate(DRAWN)
    return drawn


def _click_node(page: Any, node_id: str, *, double: bool = False) -> None:
    page.locator("#graph").scroll_into_view_if_needed()  # the mouse reaches the viewport only
    page.evaluate(FRAMES)  # Cytoscape learns of the scroll from its event, a frame later
    x, y = page.evaluate(NODE_AT, node_id)
    if double:
        page.mouse.dblclick(x, y)
    else:
        page.mouse.click(x, y)


def test_a_memory_graph_is_drawn_and_its_nodes_open_and_re_centre(
    served: tuple[str, dict[str, str]], page: Any, tmp_path: Path
) -> None:
    base, ids = served
    problems = _watch(page)
    log_in(page, base)
    page.goto(f"{base}/graph?id={ids['alpha']}&depth=2")
    drawn = _drawn(page)
    page.screenshot(path=tmp_path / "memory-graph.png", full_page=True)
    page.locator("#graph").screenshot(path=tmp_path / "memory-picture.png")
    assert drawn["nodes"] == sorted([ids["alpha"], ids["beta"], ids["gamma"], ids["epsilon"]])
    assert drawn["centre"] == [ids["alpha"]] and drawn["kinds"] == ["memory"]
    assert drawn["edges"] == sorted(
        [
            [ids["alpha"], "supports", ids["beta"]],
            [ids["beta"], "relates_to", ids["gamma"]],
            [ids["epsilon"], "contradicts", ids["alpha"]],
        ]
    )
    assert drawn["labels"] == ["contradicts", "relates_to", "supports"]  # edges say their relation
    assert page.get_by_role("heading", level=1).inner_text().startswith("Graph of the memory")

    _click_node(page, ids["beta"])
    page.wait_for_url(f"{base}/memories/{ids['beta']}")
    assert "WAL mode lets readers go on" in page.locator("#content").inner_text()

    page.go_back()
    _drawn(page)
    _click_node(page, ids["gamma"], double=True)
    page.wait_for_url(f"{base}/graph?id={ids['gamma']}&depth=2")
    recentred = _drawn(page)
    page.screenshot(path=tmp_path / "memory-graph-recentred.png", full_page=True)
    assert recentred["centre"] == [ids["gamma"]]
    assert recentred["nodes"] == sorted([ids[n] for n in ("alpha", "beta", "gamma", "delta")])

    page.locator(f'.graph-tree a[data-node="{ids["delta"]}"]').focus()
    page.keyboard.press("Enter")  # the list is the keyboard's way in
    page.wait_for_url(f"{base}/memories/{ids['delta']}")
    assert problems == []  # no CSP refusal (Cytoscape's own <style>), no script error


def test_a_note_graph_shows_linked_notes_and_opens_them(
    served: tuple[str, dict[str, str]], page: Any, tmp_path: Path
) -> None:
    base, _ids = served
    problems = _watch(page)
    log_in(page, base)
    page.goto(f"{base}/notes/view?path=plans/roadmap.md")
    page.locator("main").get_by_role("link", name="Graph", exact=True).click()
    page.wait_for_url(f"{base}/graph?note=plans%2Froadmap.md")
    drawn = _drawn(page)
    page.screenshot(path=tmp_path / "note-graph.png", full_page=True)
    assert drawn["nodes"] == ["plans/roadmap.md", "search.md", "storage.md"]
    assert drawn["centre"] == ["plans/roadmap.md"] and drawn["kinds"] == ["note"]
    assert ["storage.md", "relates_to", "plans/roadmap.md"] in drawn["edges"]  # a backlink
    titles = page.evaluate("window.memvaultGraph.nodes().map(n => n.data('label')).sort()")
    assert titles == ["Storage design", "roadmap", "search"]

    page.get_by_label("Depth", exact=True).select_option("2")
    page.get_by_role("button", name="Show graph").click()
    assert "ranking.md" in _drawn(page)["nodes"]  # two links away
    page.screenshot(path=tmp_path / "note-graph-depth-2.png", full_page=True)

    _click_node(page, "storage.md")
    page.wait_for_url(f"{base}/notes/view?path=storage.md")
    assert page.locator("main h1").first.inner_text() == "Storage design"
    assert problems == []


def test_without_javascript_the_neighbourhood_is_a_list_of_links(
    served: tuple[str, dict[str, str]], browser: Any, tmp_path: Path
) -> None:
    base, ids = served
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, base)
        page.goto(f"{base}/graph?id={ids['alpha']}&depth=2")
        page.screenshot(path=tmp_path / "graph-no-js.png", full_page=True)
        assert not page.locator("#graph-view").is_visible()  # no empty picture box
        tree = page.locator(".graph-tree")
        beta = tree.locator("li", has=page.locator(f'a[data-node="{ids["beta"]}"]')).first
        assert "—supports→" in beta.inner_text() and "depth 1" in beta.inner_text()
        gamma = beta.locator(f'a[data-node="{ids["gamma"]}"]')  # nested under what reached it
        assert gamma.inner_text() == "Gamma: checkpoint the WAL when it grows"
        epsilon = tree.locator("li", has=page.locator(f'a[data-node="{ids["epsilon"]}"]')).first
        assert "←contradicts—" in epsilon.inner_text()
        assert tree.locator(f'a[data-node="{ids["delta"]}"]').count() == 0  # three links away
        page.get_by_role(
            "link", name="Re-centre on Gamma: checkpoint the WAL when it grows"
        ).click()
        page.wait_for_url(f"{base}/graph?id={ids['gamma']}&depth=2")
        assert tree.locator(f'a[data-node="{ids["delta"]}"]').is_visible()
        page.get_by_role("link", name="Delta: three links from alpha", exact=True).click()
        page.wait_for_url(f"{base}/memories/{ids['delta']}")
    finally:
        context.close()


def test_a_hub_is_cut_to_the_nearest_200_nodes_and_says_so(
    served: tuple[str, dict[str, str]], page: Any, tmp_path: Path
) -> None:
    base, ids = served
    log_in(page, base)
    page.goto(f"{base}/graph?id={ids['hub']}")
    drawn = _drawn(page)
    page.screenshot(path=tmp_path / "hub-graph.png", full_page=True)
    page.locator("#graph").screenshot(path=tmp_path / "hub-picture.png")
    assert len(drawn["nodes"]) == 200 and len(drawn["edges"]) == 199
    assert "Only the nearest 200 nodes are shown" in page.get_by_role("status").inner_text()


def test_api_graph_answers_nodes_and_edges_and_refuses_bad_queries(
    served: tuple[str, dict[str, str]],
) -> None:
    base, ids = served
    client, _csrf = logged_in_client(base)
    answer = client.get("/api/graph", params={"id": ids["alpha"], "depth": 1})
    assert answer.status_code == 200
    graph = answer.json()
    assert graph["truncated"] is False and graph["centre"] == ids["alpha"]
    assert graph["nodes"][0] == {
        "id": ids["alpha"],
        "label": "Alpha: the store is SQLite",
        "kind": "memory",
        "url": f"/memories/{ids['alpha']}",
        "depth": 0,
    }
    assert {(n["id"], n["depth"]) for n in graph["nodes"][1:]} == {
        (ids["beta"], 1),
        (ids["epsilon"], 1),
    }
    assert sorted(graph["edges"], key=lambda e: e["relation"]) == [
        {"source": ids["epsilon"], "target": ids["alpha"], "relation": "contradicts"},
        {"source": ids["alpha"], "target": ids["beta"], "relation": "supports"},
    ]
    notes = client.get("/api/graph", params={"note": "plans/roadmap.md"}).json()
    storage = next(n for n in notes["nodes"] if n["id"] == "storage.md")
    assert storage["url"] == "/notes/view?path=storage.md" and storage["kind"] == "note"
    assert client.get("/api/graph", params={"id": ids["hub"]}).json()["truncated"] is True

    missing = client.get(f"/graph?id={UNKNOWN}")
    assert missing.status_code == 404 and f"no memory with id {UNKNOWN}" in missing.text
    assert client.get(f"/api/graph?id={UNKNOWN}").json() == {
        "error": f"no memory with id {UNKNOWN}"
    }
    assert client.get("/api/graph?note=nowhere.md").status_code == 404
    assert client.get(f"/graph?note={quote('no such note.md')}").status_code == 404
    for bad in (
        f"id={ids['alpha']}&depth=4",
        f"id={ids['alpha']}&depth=0",
        f"id={ids['alpha']}&depth=two",
        f"id={ids['alpha']}&note=storage.md",
    ):
        assert client.get(f"/graph?{bad}").status_code == 400, bad
        refused = client.get(f"/api/graph?{bad}")
        assert refused.status_code == 400 and "error" in refused.json(), bad
    assert client.get("/api/graph").status_code == 400  # nothing asked
    assert client.get("/graph").status_code == 200  # the form alone
    assert httpx2.get(f"{base}/api/graph?id={ids['alpha']}").status_code == 401
