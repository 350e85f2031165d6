"""The MCP tools through the SDK's in-process client: what an agent sees and relies on."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import TextContent

from memvault.server.app import build_server
from memvault.server.budget import TRUNCATED, Budget, compact, count_tokens
from memvault.vault import Vault

T = TypeVar("T")

TOOLS = {
    "remember",
    "search",
    "get",
    "update",
    "forget",
    "validate",
    "relate",
    "neighbours",
    "supersede",
    "note_write",
    "note_read",
    "note_edit",
    "note_move",
    "note_delete",
    "note_list",
    "index_path",
    "jobs",
    "stats",
}
READ_ONLY = {"search", "get", "neighbours", "note_read", "note_list", "jobs", "stats"}
TOOLS_LIST_BUDGET = 6_000  # tokens an agent pays for tools/list on every session


def run(server: MCPServer, scenario: Callable[[Client], Awaitable[T]]) -> T:
    async def main() -> T:
        async with Client(server) as client:
            return await scenario(client)

    return anyio.run(main)


async def answer(client: Client, tool: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    """Whether the call was a tool error, and the one text block every tool replies with."""
    result = await client.call_tool(tool, arguments)
    assert len(result.content) == 1
    content = result.content[0]
    assert isinstance(content, TextContent)
    return bool(result.is_error), content.text


async def raw(client: Client, tool: str, **arguments: Any) -> str:
    error, text = await answer(client, tool, arguments)
    assert not error, f"{tool} failed: {text}"
    return text


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    return json.loads(await raw(client, tool, **arguments))


async def fails(client: Client, tool: str, **arguments: Any) -> str:
    error, text = await answer(client, tool, arguments)
    assert error, f"{tool} should have failed, returned {text}"
    return text


# --- tools/list ------------------------------------------------------------------------------


def list_tools(vault: Vault) -> list[Any]:
    async def scenario(client: Client) -> list[Any]:
        return list((await client.list_tools()).tools)

    return run(build_server(vault), scenario)


def test_tools_list_has_exactly_the_tools(vault: Vault) -> None:
    names = [tool.name for tool in list_tools(vault)]
    assert len(names) == len(set(names))
    assert set(names) == TOOLS


def test_every_tool_has_a_one_line_description(vault: Vault) -> None:
    for tool in list_tools(vault):
        assert tool.description, tool.name
        assert "\n" not in tool.description, tool.name
        assert len(tool.description) < 120, (tool.name, len(tool.description))


def test_every_tool_sets_all_four_annotation_hints(vault: Vault) -> None:
    for tool in list_tools(vault):
        hints = tool.annotations
        assert hints is not None, tool.name
        for hint in ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint"):
            assert getattr(hints, hint) is not None, (tool.name, hint)
        assert hints.open_world_hint is False, tool.name  # a local vault, no outside world


def test_read_only_tools_are_exactly_the_readers(vault: Vault) -> None:
    tools = {tool.name: tool.annotations for tool in list_tools(vault)}
    assert {name for name, hints in tools.items() if hints.read_only_hint} == READ_ONLY
    for name in READ_ONLY:
        assert tools[name].destructive_hint is False, name


def test_deleting_tools_are_destructive(vault: Vault) -> None:
    tools = {tool.name: tool.annotations for tool in list_tools(vault)}
    for name in ("forget", "note_delete"):
        assert tools[name].destructive_hint is True, name
        assert tools[name].read_only_hint is False, name


def test_tools_list_payload_is_cheap(vault: Vault) -> None:
    payload = compact([t.model_dump(by_alias=True, exclude_none=True) for t in list_tools(vault)])
    tokens = count_tokens(payload)
    print(f"tools/list: {tokens} tokens, {len(payload)} characters")
    assert tokens < TOOLS_LIST_BUDGET


def schema_keys(schema: Any, path: str = "") -> list[tuple[str, str]]:
    """Every (path, key) of a JSON schema, property names excepted (a property may be called
    "title")."""
    found: list[tuple[str, str]] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.append((path, key))
            if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
                for name, child in value.items():
                    found += schema_keys(child, f"{path}/{key}/{name}")
            else:
                found += schema_keys(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for i, child in enumerate(schema):
            found += schema_keys(child, f"{path}/{i}")
    return found


def test_input_schemas_are_slim(vault: Vault) -> None:
    for tool in list_tools(vault):
        keys = schema_keys(tool.input_schema)
        assert keys, tool.name
        assert [k for k in keys if k[1] in ("anyOf", "title")] == [], tool.name
    # The slimming keeps what an agent needs: types, defaults, enums and bounds.
    search = next(t for t in list_tools(vault) if t.name == "search").input_schema
    assert search["required"] == ["query"]
    assert search["properties"]["cursor"] == {"type": "string"}
    assert search["properties"]["limit"]["minimum"] == 1
    assert search["properties"]["mode"]["enum"] == ["hybrid", "keyword", "vector"]
    note_write = next(t for t in list_tools(vault) if t.name == "note_write").input_schema
    assert note_write["properties"]["title"] == {"type": "string"}  # a property named title stays


# --- every tool through the client -----------------------------------------------------------


def test_memory_tools_work_end_to_end(vault: Vault) -> None:
    async def scenario(client: Client) -> None:
        tea = await call(
            client, "remember", content="Alice prefers green tea", kind="preference", tags=["ali"]
        )
        assert tea["created"] is True
        again = await call(client, "remember", content="Alice prefers green tea")
        assert again == {"id": tea["id"], "created": False}
        coffee = await call(client, "remember", content="Bob drinks coffee every morning")

        hits = (await call(client, "search", query="green tea"))["hits"]
        assert hits[0]["id"] == tea["id"]
        assert hits[0]["content"] == "Alice prefers green tea"
        assert isinstance(hits[0]["score"], float)
        assert hits[0]["tags"] == ["ali"]
        assert "next_cursor" not in (await call(client, "search", query="green tea"))

        got = await call(client, "get", id=tea["id"])
        assert got["content"] == "Alice prefers green tea"
        assert got["kind"] == "preference"
        assert got["confidence"] == 0.5

        updated = await call(client, "update", id=tea["id"], content="Alice prefers oolong tea")
        assert updated["content"] == "Alice prefers oolong tea"
        assert (await call(client, "get", id=tea["id"]))["content"] == "Alice prefers oolong tea"
        hits = (await call(client, "search", query="oolong", mode="keyword"))["hits"]
        assert [h["id"] for h in hits] == [tea["id"]]

        up = await call(client, "validate", id=tea["id"], verdict="confirm")
        assert up["before"] == 0.5 and up["confidence"] > 0.5
        down = await call(client, "validate", id=tea["id"], verdict="refute", actor="bob")
        assert down["before"] == up["confidence"] and down["confidence"] < up["confidence"]
        assert (await call(client, "get", id=tea["id"]))["confidence"] == down["confidence"]

        edge = await call(client, "relate", source=tea["id"], target=coffee["id"])
        assert edge == {"source": tea["id"], "target": coffee["id"], "relation": "relates_to"}
        out = (await call(client, "neighbours", id=tea["id"]))["neighbours"]
        assert [(n["id"], n["direction"], n["depth"]) for n in out] == [(coffee["id"], "out", 1)]
        back = (await call(client, "neighbours", id=coffee["id"]))["neighbours"]
        assert [(n["id"], n["direction"]) for n in back] == [(tea["id"], "in")]
        assert (await call(client, "neighbours", id=tea["id"], relation="contradicts")) == {
            "neighbours": []
        }

        matcha = await call(client, "remember", content="Alice prefers matcha tea now")
        assert await call(client, "supersede", old_id=tea["id"], new_id=matcha["id"]) == {
            "superseded": tea["id"],
            "by": matcha["id"],
        }
        ids = [h["id"] for h in (await call(client, "search", query="Alice prefers tea"))["hits"]]
        assert matcha["id"] in ids and tea["id"] not in ids
        old = await call(client, "get", id=tea["id"])  # still readable, as history
        assert old["superseded_by"] == matcha["id"]

        # remember can supersede in the same call
        latte = await call(
            client, "remember", content="Alice prefers lattes these days", supersedes=matcha["id"]
        )
        ids = [h["id"] for h in (await call(client, "search", query="Alice prefers"))["hits"]]
        assert latte["id"] in ids and matcha["id"] not in ids

        assert await call(client, "forget", id=coffee["id"]) == {"forgotten": coffee["id"]}
        assert "no memory" in await fails(client, "get", id=coffee["id"])
        linked = (await call(client, "neighbours", id=tea["id"]))["neighbours"]
        assert coffee["id"] not in [n["id"] for n in linked]  # its edges went with it
        assert coffee["id"] not in [
            h["id"] for h in (await call(client, "search", query="coffee morning"))["hits"]
        ]

    run(build_server(vault), scenario)


def test_note_tools_work_end_to_end(vault: Vault) -> None:
    async def scenario(client: Client) -> None:
        alpha = await call(
            client,
            "note_write",
            path="projects/alpha.md",
            content="# Alpha\n\nSee [[beta]].\n\n## Status\n\nold status\n\n## Next\n\nship it\n",
            tags=["project"],
        )
        assert alpha["path"] == "projects/alpha.md" and alpha["id"]
        await call(client, "note_write", path="beta.md", content="Beta, linked to [[alpha]].\n")

        read = await call(client, "note_read", path="projects/alpha.md")
        assert read["id"] == alpha["id"]
        assert read["body"].startswith("# Alpha\n\nSee [[beta]].")
        assert read["tags"] == ["project"]
        assert read["links"] == ["beta.md"]
        assert read["backlinks"] == ["beta.md"]
        assert "next_cursor" not in read
        assert (await call(client, "note_read", path="beta.md"))["links"] == ["projects/alpha.md"]

        async def body(path: str) -> str:
            text: str = (await call(client, "note_read", path=path))["body"]
            return text

        await call(client, "note_edit", path="beta.md", append="appended line")
        await call(client, "note_edit", path="beta.md", prepend="prepended line")
        assert await body("beta.md") == (
            "prepended line\nBeta, linked to [[alpha]].\nappended line\n"
        )
        await call(
            client,
            "note_edit",
            path="projects/alpha.md",
            section="Status",
            section_content="new status",
        )
        after = await body("projects/alpha.md")
        assert "new status" in after and "old status" not in after and "ship it" in after
        await call(client, "note_edit", path="projects/alpha.md", find="ship it", replace="done")
        assert "done" in await body("projects/alpha.md")
        await call(client, "note_edit", path="beta.md", find="line", replace="LINE", expected=2)
        assert (await body("beta.md")).count("LINE") == 2

        # The notes are searchable, as chunks that say where they come from.
        hits = (await call(client, "search", query="new status"))["hits"]
        assert any(h.get("where", "").startswith("projects/alpha.md") for h in hits)

        listed = await call(client, "note_list")
        assert sorted(n["path"] for n in listed["notes"]) == ["beta.md", "projects/alpha.md"]
        assert [
            n["path"] for n in (await call(client, "note_list", folder="projects"))["notes"]
        ] == ["projects/alpha.md"]
        assert [n["path"] for n in (await call(client, "note_list", tag="project"))["notes"]] == [
            "projects/alpha.md"
        ]

        moved = await call(client, "note_move", path="beta.md", to="archive/beta.md")
        assert moved["path"] == "archive/beta.md"
        assert "no note" in await fails(client, "note_read", path="beta.md")
        assert (await call(client, "note_read", path="projects/alpha.md"))["backlinks"] == [
            "archive/beta.md"
        ]

        assert await call(client, "note_delete", path="archive/beta.md") == {
            "deleted": "archive/beta.md"
        }
        assert "no note" in await fails(client, "note_read", path="archive/beta.md")
        listed = await call(client, "note_list")
        assert [n["path"] for n in listed["notes"]] == ["projects/alpha.md"]

    run(build_server(vault), scenario)
    assert vault.vault_dir is not None
    assert (vault.vault_dir / "projects" / "alpha.md").is_file()
    assert not (vault.vault_dir / "archive" / "beta.md").exists()


def test_index_path_jobs_and_stats(vault: Vault, tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "calc.py").write_text(
        "def add(a, b):\n    return a + b\n\n\ndef multiply_numbers(a, b):\n    return a * b\n"
    )

    async def scenario(client: Client) -> None:
        report = await call(client, "index_path", path=str(code))
        assert report["files"] == 1 and report["indexed"] == 1 and report["chunks"] >= 1
        assert report["problems"] == []
        hits = (await call(client, "search", query="multiply_numbers"))["hits"]
        assert hits, "the indexed code is found"
        where = hits[0]["where"]
        match = re.fullmatch(r"(.+):(\d+)-(\d+)", where)
        assert match, where
        assert Path(match[1]).name == "calc.py"
        assert int(match[2]) <= 5 <= int(match[3])
        assert "multiply_numbers" in hits[0]["content"]

        again = await call(client, "index_path", path=str(code))
        assert again["unchanged"] == 1 and again["indexed"] == 0

        jobs = await call(client, "jobs")
        assert jobs["failed"] == 0 and jobs["failures"] == []
        assert jobs["index_runs"][0]["state"] == "done"
        assert jobs["index_runs"][0]["files"] == "1/1"

        await call(client, "remember", content="one plain fact")
        stats = await call(client, "stats")
        assert stats["check"] == "ok"
        assert stats["current"] >= 2
        assert stats["by_kind"]["fact"] == 1

    run(build_server(vault), scenario)


# --- errors are tool errors, not crashes -----------------------------------------------------


def test_errors_are_tool_errors_with_a_clear_message(vault: Vault) -> None:
    async def scenario(client: Client) -> None:
        assert "no memory with id nope" in await fails(client, "get", id="nope")
        assert "no memory with id nope" in await fails(client, "forget", id="nope")
        assert "content is empty" in await fails(client, "remember", content="")
        assert "content is empty" in await fails(client, "remember", content="   ")
        assert "out of its folder" in await fails(client, "note_write", path="../x.md", content="x")
        assert "out of its folder" in await fails(client, "note_read", path="../x.md")
        await call(client, "note_write", path="n.md", content="one two two")
        message = await fails(client, "note_edit", path="n.md", find="two", replace="2")
        assert "expected 1 occurrence(s) of 'two', found 2" in message
        assert (await call(client, "note_read", path="n.md"))["body"] == "one two two\n"
        assert "cursor is not one this server gave out" in await fails(
            client, "search", query="x", cursor="garbage"
        )
        assert "greater than or equal to 1" in await fails(client, "search", query="x", limit=0)
        assert "limit" in await fails(client, "note_list", limit=0)
        assert "verdict" in await fails(client, "validate", id="nope", verdict="maybe")
        assert "query" in await fails(client, "search")  # a required argument missing
        # The server is still up and answering.
        assert (await call(client, "stats"))["check"] == "ok"

    run(build_server(vault), scenario)


def test_a_cursor_only_continues_its_own_request(vault: Vault) -> None:
    for i in range(5):
        vault.remember(f"shared fact number {i}")

    async def scenario(client: Client) -> None:
        first = await call(client, "search", query="shared fact", limit=2)
        cursor = first["next_cursor"]
        message = await fails(client, "search", query="other words", limit=2, cursor=cursor)
        assert "different request" in message
        assert "different request" in await fails(client, "note_list", cursor=cursor)
        second = await call(client, "search", query="shared fact", limit=2, cursor=cursor)
        assert {h["id"] for h in second["hits"]}.isdisjoint(h["id"] for h in first["hits"])

    run(build_server(vault), scenario)


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


def test_get_of_a_long_memory_fits_the_budget(vault: Vault) -> None:
    memory = vault.remember(long_text(1, words=2000))

    async def scenario(client: Client) -> None:
        text = await raw(client, "get", id=memory.id)
        assert count_tokens(text) <= SMALL
        data = json.loads(text)
        assert data["content"].endswith(TRUNCATED)
        assert long_text(1, words=2000).startswith(data["content"].removesuffix(TRUNCATED))

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
