"""The ``entity`` tool and ``neighbours`` with ``via_entities`` through a real ``memvault serve
--http`` and the SDK's client: an entity's page in any spelling, its memories paged by cursor and
held to the response budget; memories reached through the entities they share."""

from __future__ import annotations

from pathlib import Path

import anyio

from tests.server.mcp_helpers import call, http_client, http_server

FILLER = "the loader read an empty TOML file at startup and crashed before logging " * 4


def test_an_entity_page_in_any_spelling_paged_within_the_budget(home: Path) -> None:
    with http_server(home) as base:

        async def session() -> None:
            async with http_client(base) as client:
                made = [
                    (
                        await call(
                            client, "remember", content=f"parseConfig case {i}, asked Ana. {FILLER}"
                        )
                    )["id"]
                    for i in range(5)
                ]
                await call(client, "remember", content="Bob owns loadConfig")
                page = await call(client, "entity", name="parse_config", limit=2)
                assert (page["name"], page["kind"], page["count"]) == (
                    "parseConfig",
                    "identifier",
                    5,
                )
                assert [m["id"] for m in page["memories"]] == made[::-1][:2]  # newest first
                assert page["co_occurring"][0] == {"name": "Ana", "kind": "name", "memories": 5}
                assert page["first_seen"] <= page["last_seen"]
                rest = await call(
                    client, "entity", name="parseConfig", limit=10, cursor=page["next_cursor"]
                )
                assert [m["id"] for m in rest["memories"]] == made[::-1][2:]
                assert "next_cursor" not in rest
                tight = await call(client, "entity", name="parseConfig", limit=5, budget=200)
                assert 0 < len(tight["memories"]) < 5 and tight["next_cursor"]
                unknown = await client.call_tool("entity", {"name": "Zed"})
                assert unknown.is_error and "no entity 'Zed'" in unknown.content[0].text  # type: ignore[union-attr]

        anyio.run(session)


def test_neighbours_through_shared_entities(home: Path) -> None:
    with http_server(home) as base:

        async def session() -> None:
            async with http_client(base) as client:
                centre = await call(
                    client, "remember", content="Ana fixed parseConfig in src/app/config.py"
                )
                two = await call(client, "remember", content="Ana changed parse_config again")
                one = await call(client, "remember", content="src/app/config.py moved")
                await call(client, "remember", content="nothing in common")
                found = await call(client, "neighbours", id=centre["id"], via_entities=True)
                assert [(n["id"], n["shared"]) for n in found["neighbours"]] == [
                    (two["id"], 2),
                    (one["id"], 1),
                ]
                first = await call(
                    client, "neighbours", id=centre["id"], via_entities=True, limit=1
                )
                assert [n["id"] for n in first["neighbours"]] == [two["id"]]
                after = await call(
                    client,
                    "neighbours",
                    id=centre["id"],
                    via_entities=True,
                    cursor=first["next_cursor"],
                )
                assert [n["id"] for n in after["neighbours"]] == [one["id"]]
                edges = await call(client, "neighbours", id=centre["id"])
                assert edges["neighbours"] == []  # no typed edges: the walk is another one
                bad = await client.call_tool(
                    "neighbours", {"id": centre["id"], "via_entities": True, "depth": 2}
                )
                assert bad.is_error and "no depth or relation" in bad.content[0].text  # type: ignore[union-attr]

        anyio.run(session)
