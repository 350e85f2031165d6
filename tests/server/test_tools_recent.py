"""The tools a new agent asked for: recent, search over superseded memories, a budget per call."""

from __future__ import annotations

from mcp import Client

from memvault.embedding.tokens import count_tokens
from memvault.server.app import build_server
from memvault.service.vault import Vault
from tests.server.tool_client import call, fails, raw, run


def test_recent_shows_the_latest_memories_by_namespace_and_the_latest_notes(vault: Vault) -> None:
    for i in range(15):
        vault.remember(f"project fact number {i}", namespace="proj")
    vault.remember("a default fact")
    vault.notes.write("plans/q3.md", "# Q3\n\nShip the importer.")

    async def scenario(client: Client) -> None:
        latest = await call(client, "recent", namespace="proj", limit=5)
        assert [m["content"] for m in latest["memories"]] == [
            f"project fact number {i}" for i in (14, 13, 12, 11, 10)
        ]
        assert [n["path"] for n in latest["notes"]] == ["plans/q3.md"]
        everything = await call(client, "recent")
        assert everything["memories"][0]["content"] == "a default fact"
        assert len(everything["memories"]) == 10  # bounded by the default limit
        # Chunks of the note are not memories of their own: the notes list stands for them.
        assert all(m["kind"] != "note" for m in everything["memories"])
        small = await raw(client, "recent", limit=50, budget=200)
        assert count_tokens(small) <= 200
        assert "limit" in await fails(client, "recent", limit=0)

    run(build_server(vault), scenario)


def test_search_includes_superseded_memories_only_when_asked(vault: Vault) -> None:
    old = vault.remember("the release train leaves on Tuesdays").id
    new = vault.remember("the release train leaves on Thursdays", supersedes=old).id

    async def scenario(client: Client) -> None:
        current = await call(client, "search", query="release train")
        assert [h["id"] for h in current["hits"]] == [new]
        both = await call(client, "search", query="release train", include_superseded=True)
        assert {h["id"] for h in both["hits"]} == {old, new}
        (gone,) = [h for h in both["hits"] if h["id"] == old]
        assert gone["superseded_by"] == new

    run(build_server(vault), scenario)


def test_search_budget_per_call_cuts_the_page_and_keeps_a_cursor(vault: Vault) -> None:
    for i in range(30):
        vault.remember(f"deploy note {i}: " + "the pipeline waits for approval " * 20)

    async def scenario(client: Client) -> None:
        text = await raw(client, "search", query="deploy pipeline", limit=20, budget=300)
        assert count_tokens(text) <= 300
        page = await call(client, "search", query="deploy pipeline", limit=20, budget=300)
        assert "next_cursor" in page and len(page["hits"]) < 20
        roomy = await call(client, "search", query="deploy pipeline", limit=20, budget=20_000)
        assert len(roomy["hits"]) == 20
        assert "budget" in await fails(client, "search", query="x", budget=10)

    run(build_server(vault), scenario)


def test_session_search_hits_carry_relevance_too(vault: Vault) -> None:
    async def scenario(client: Client) -> None:
        started = await call(client, "session_start", project="shop")
        messages = [{"role": "user", "content": "the checkout page is slow on mobile"}]
        await call(client, "session_log", session_id=started["session"], messages=messages)
        (hit,) = (await call(client, "session_search", query="checkout slow mobile"))["hits"]
        assert hit["relevance"] >= 0.5 and "weak" not in hit
        (weak,) = (await call(client, "session_search", query="checkout football scores"))["hits"]
        assert weak["relevance"] < 0.5 and weak["weak"] is True

    run(build_server(vault), scenario)
