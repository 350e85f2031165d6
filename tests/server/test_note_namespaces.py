"""Notes written through MCP ``note_write`` carry a namespace, and a namespace-filtered
``search`` finds them (issue 13, item 12)."""

from __future__ import annotations

from mcp import Client

from memvault.server.app import build_server
from memvault.service.vault import Vault
from tests.server.tool_client import call, run


def test_note_write_namespace_is_what_a_filtered_search_finds(vault: Vault) -> None:
    async def scenario(client: Client) -> None:
        await call(client, "note_write", path="zoo/okapi", content="The okapi eats leaves.")
        await call(
            client,
            "note_write",
            path="zoo/tapir",
            content="The tapir swims at dusk.",
            namespace="zoo",
        )

        async def found(query: str, namespace: str) -> list[str]:
            answer = await call(client, "search", query=query, namespace=namespace, mode="keyword")
            return [hit["content"] for hit in answer["hits"]]

        assert await found("tapir swims", "zoo") == ["The tapir swims at dusk."]
        assert await found("tapir swims", "default") == []
        # No namespace given: the vault's default, whatever folder the note is in.
        assert await found("okapi leaves", "default") == ["The okapi eats leaves."]
        assert await found("okapi leaves", "zoo") == []
        # Rewriting the body without a namespace keeps the note's own.
        await call(client, "note_write", path="zoo/tapir", content="The tapir sleeps by day.")
        assert await found("tapir sleeps", "zoo") == ["The tapir sleeps by day."]

    run(build_server(vault), scenario)
    assert vault.folder is not None
    text = (vault.folder / "zoo" / "okapi.md").read_text("utf-8")
    assert "\nnamespace: default\n" in text  # the file says it, so a rebuild agrees
