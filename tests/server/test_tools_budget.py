"""The MCP tools under a per-response token budget: pages and pieces that fit it with no gaps
or duplicates, and deep search paging that ranks like the first page."""

from __future__ import annotations

import json
import random
from typing import Any

import anyio
import pytest
from mcp import Client

from memvault.embedding.tokens import compact, count_tokens
from memvault.server.app import build_server
from memvault.server.budget import TRUNCATED, Budget
from memvault.service.vault import Vault
from tests.server.tool_client import call, fails, raw, run

# --- the per-response budget -----------------------------------------------------------------

SMALL = 300
WORDS = [
    "river",
    "stone",
    "lattice",
    "harbour",
    "meadow",
    "quartz",
    "ember",
    "willow",
    "basalt",
    "cinder",
]


def long_text(i: int, words: int = 200) -> str:
    rng = random.Random(i)
    return f"zebra {i} " + " ".join(rng.choice(WORDS) for _ in range(words))


async def walk(
    client: Client, tool: str, field: str, **arguments: Any
) -> tuple[list[Any], list[str]]:
    """Every page of a paged tool: the items in order, and each response's text."""
    items: list[Any] = []
    texts: list[str] = []
    cursor: str | None = None
    while True:
        text = await raw(client, tool, **arguments, **({"cursor": cursor} if cursor else {}))
        texts.append(text)
        page = json.loads(text)
        assert page[field], f"a page of {tool} shows nothing"
        items += page[field]
        cursor = page.get("next_cursor")
        if cursor is None:
            return items, texts
        assert len(texts) < 500, "paging does not end"


def assert_within(texts: list[str], budget: int = SMALL) -> None:
    sizes = [count_tokens(text) for text in texts]
    assert max(sizes) <= budget, sizes


def test_search_pages_fit_the_budget_with_no_gaps_or_duplicates(vault: Vault) -> None:
    for i in range(40):
        vault.remember(long_text(i))
    vault.wait_for_jobs()
    expected = [hit.memory.id for hit in vault.search("zebra", k=1000)]
    assert len(expected) == 40

    async def scenario(client: Client) -> None:
        first = await call(client, "search", query="zebra")
        assert "next_cursor" in first
        assert count_tokens(compact(first)) <= SMALL
        hits, texts = await walk(client, "search", "hits", query="zebra", limit=10)
        assert_within(texts)
        assert len(texts) > 4
        assert [h["id"] for h in hits] == expected
        assert all(h["content"].endswith(TRUNCATED) for h in hits)

    run(build_server(vault, Budget(SMALL)), scenario)


def test_get_of_a_long_memory_pages_its_content_within_the_budget(vault: Vault) -> None:
    whole = long_text(1, words=2000)
    memory = vault.remember(whole)

    async def scenario(client: Client) -> None:
        pieces, cursor = [], None
        while True:
            text = await raw(client, "get", id=memory.id, **({"cursor": cursor} if cursor else {}))
            assert count_tokens(text) <= SMALL
            data = json.loads(text)
            assert data["id"] == memory.id and data["kind"] == "fact"
            pieces.append(data["content"])
            cursor = data.get("next_cursor")
            if cursor is None:
                break
        assert len(pieces) > 3 and "".join(pieces) == whole
        # A larger budget for one call brings more of it at once.
        bigger = await call(client, "get", id=memory.id, budget=SMALL * 4)
        assert len(bigger["content"]) > 3 * len(pieces[0])
        # A cursor of an older version is refused: the offsets would lie.
        first = await call(client, "get", id=memory.id)
        vault.update(memory.id, content=whole + " and more")
        assert "changed since" in await fails(
            client, "get", id=memory.id, cursor=first["next_cursor"]
        )

    run(build_server(vault, Budget(SMALL)), scenario)


def test_neighbours_pages_fit_the_budget(vault: Vault) -> None:
    hub = vault.remember("the hub everything links to").id
    for i in range(40):
        vault.relate(hub, vault.remember(long_text(i)).id)
    expected = [n.memory.id for n in vault.neighbours(hub)]
    assert len(expected) == 40

    async def scenario(client: Client) -> None:
        items, texts = await walk(client, "neighbours", "neighbours", id=hub, limit=20)
        assert_within(texts)
        assert len(texts) > 4
        assert [n["id"] for n in items] == expected

    run(build_server(vault, Budget(SMALL)), scenario)


def test_note_list_pages_fit_the_budget(vault: Vault) -> None:
    for i in range(30):
        title = f"Meeting {i:02d} about " + " ".join(WORDS[(i + j) % len(WORDS)] for j in range(25))
        vault.notes.write(f"meetings/m{i:02d}.md", f"notes of meeting {i}", title=title)
    expected = [n.state.path for n in vault.notes.list(limit=1000)]
    assert len(expected) == 30

    async def scenario(client: Client) -> None:
        items, texts = await walk(client, "note_list", "notes")
        assert_within(texts)
        assert len(texts) > 2
        assert [n["path"] for n in items] == expected

    run(build_server(vault, Budget(SMALL)), scenario)


def test_a_long_note_is_read_in_pieces_that_concatenate_to_its_body(vault: Vault) -> None:
    paragraphs = [f'## Part {i}\n\n{long_text(i, 60)} "quoted" back\\slash\n' for i in range(25)]
    vault.notes.write("long.md", "\n".join(paragraphs), tags=["big"])
    body = vault.notes.read("long.md").body
    assert count_tokens(body) > 5 * SMALL

    async def scenario(client: Client) -> None:
        pieces, texts = [], []
        cursor: str | None = None
        while True:
            text = await raw(
                client, "note_read", path="long.md", **({"cursor": cursor} if cursor else {})
            )
            texts.append(text)
            page = json.loads(text)
            assert page["path"] == "long.md" and page["tags"] == ["big"]
            assert page["body"], "every piece makes progress"
            pieces.append(page["body"])
            cursor = page.get("next_cursor")
            if cursor is None:
                break
            assert len(pieces) < 200
        assert_within(texts)
        assert len(pieces) > 5
        assert "".join(pieces) == body
        # Pieces fill the budget instead of trickling: all but the last are close to it.
        assert min(count_tokens(t) for t in texts[:-1]) > SMALL * 0.8

    run(build_server(vault, Budget(SMALL)), scenario)


# --- hybrid paging past the fusion depth -----------------------------------------------------


@pytest.mark.parametrize("mode", ["hybrid", "keyword"])
def test_deep_paging_never_repeats_or_skips(vault: Vault, mode: str) -> None:
    """Every page runs the search again: deep pages must rank like the first ones."""
    for i in range(130):
        vault.remember(f"zebra {i} " + " ".join(WORDS[(i * j) % len(WORDS)] for j in range(i % 9)))
    vault.wait_for_jobs()

    async def scenario(client: Client) -> list[str]:
        hits, _ = await walk(client, "search", "hits", query="zebra river", limit=50, mode=mode)
        return [h["id"] for h in hits]

    ids = run(build_server(vault, Budget(100_000)), scenario)
    assert len(ids) == len(set(ids)), "a hit came back on two pages"
    # Hybrid pages through its best 100 (the fusion depth), each ranked as on the first page.
    expected = vault.search("zebra river", k=100 if mode == "hybrid" else 1000, mode=mode)
    assert ids == [hit.memory.id for hit in expected]


def test_a_note_cursor_is_refused_once_the_note_changed(vault: Vault) -> None:
    vault.notes.write("long.md", "".join(f"line {i} of a long note\n" for i in range(400)))
    server = build_server(vault, Budget(300))

    async def session() -> None:
        async with Client(server) as client:
            first = await client.call_tool("note_read", {"path": "long.md"})
            cursor = json.loads(first.content[0].text)["next_cursor"]  # type: ignore[union-attr]
            vault.notes.edit("long.md", prepend="an edit at the top")
            again = await client.call_tool("note_read", {"path": "long.md", "cursor": cursor})
            assert again.is_error
            assert "read it again without a cursor" in again.content[0].text  # type: ignore[union-attr]

    anyio.run(session)
