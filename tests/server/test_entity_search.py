"""``search`` with ``entity`` through a real ``memvault serve --http`` and the SDK's client: an
agent names an entity in any spelling and gets the memories that mention it."""

from __future__ import annotations

from pathlib import Path

import anyio

from tests.server.mcp_helpers import call, http_client, http_server


def test_search_keeps_to_an_entity_in_any_spelling(home: Path) -> None:
    with http_server(home) as base:

        async def session() -> None:
            async with http_client(base) as client:
                camel = await call(client, "remember", content="parseConfig fails on empty files")
                await call(client, "remember", content="loadConfig fails on empty files")
                snake = await call(client, "remember", content="parse_config: empty files fixed")
                found = await call(
                    client, "search", query="empty files", entity="parse-config", mode="keyword"
                )
                assert {h["id"] for h in found["hits"]} == {camel["id"], snake["id"]}
                got = await call(client, "get", id=camel["id"])
                assert got["entities"] == {"identifier": ["parseConfig"]}
                none = await call(client, "search", query="empty files", entity="@nobody")
                assert none["hits"] == []
                bad = await client.call_tool("search", {"query": "x", "entity": " "})
                assert bad.is_error and "names nothing" in bad.content[0].text  # type: ignore[union-attr]

        anyio.run(session)
