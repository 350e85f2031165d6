"""Tenant A's token reaches nothing of tenant B's, through any MCP tool, on a real hosted server.

One server, two tenants. A fills its vault (memories in two namespaces, an edge, a note, a
session); B then tries every tool on A's ids, namespaces, note paths and cursors, and gets its
own empty vault or a refusal; A's data is unchanged after. The request's tenant comes from its
token only: a bad, missing or removed token is a 401.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client

from tests.hosting.hosted import MCP_HEADERS, Hosted, add_tenants, hosted_server, memvault
from tests.server.mcp_helpers import call, http_client

SECRET = "alpha-only: the capybara launch code is 4471"
SHARED = "alpha note in namespace shared about capybara invoices"


async def refused(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    text: str = result.content[0].text  # type: ignore[union-attr]
    assert result.is_error, f"{tool} {arguments}: {text}"
    return text


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hosted, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("tenants")
    tokens = add_tenants(root, "alpha", "beta")
    with hosted_server(root) as server:
        seeded: dict[str, Any] = {"tokens": tokens}

        async def seed() -> None:
            async with http_client(server.base, token=tokens["alpha"]) as a:
                seeded["secret"] = (await call(a, "remember", content=SECRET, tags=["launch"]))[
                    "id"
                ]
                seeded["shared"] = (await call(a, "remember", content=SHARED, namespace="shared"))[
                    "id"
                ]
                await call(a, "relate", source=seeded["secret"], target=seeded["shared"])
                await call(a, "note_write", path="projects/plan", content="# Plan\n\nCapybara.\n")
                session = await call(a, "session_start", project="capy", title="alpha work")
                seeded["session"] = session["session"]
                await call(
                    a,
                    "session_log",
                    session_id=seeded["session"],
                    messages=[{"role": "user", "content": "capybara launch checklist"}],
                )
                page = await call(a, "search", query="capybara", limit=1, mode="keyword")
                seeded["cursor"] = page["next_cursor"]

        anyio.run(seed)
        yield server, seeded


def beta(hosted: tuple[Hosted, dict[str, Any]], check: Any) -> None:
    server, seeded = hosted

    async def session() -> None:
        async with http_client(server.base, token=seeded["tokens"]["beta"]) as b:
            await check(b, seeded)

    anyio.run(session)


def test_beta_reads_none_of_alphas_data(hosted: tuple[Hosted, dict[str, Any]]) -> None:
    async def check(b: Client, seeded: dict[str, Any]) -> None:
        for mode in ("hybrid", "keyword", "vector"):
            found = await call(b, "search", query="capybara launch code", mode=mode)
            assert found["hits"] == [], mode
        assert (await call(b, "search", query="capybara", namespace="shared"))["hits"] == []
        assert (await call(b, "recent"))["memories"] == []
        assert (await call(b, "recent", namespace="shared"))["memories"] == []
        assert (await call(b, "note_list"))["notes"] == []
        assert (await call(b, "session_search", query="capybara checklist"))["hits"] == []
        stats = await call(b, "stats")
        assert stats["sessions"] == 0 and stats["edges"] == 0 and stats["by_namespace"] == {}
        for memory_id in (seeded["secret"], seeded["shared"]):
            assert "no memory" in await refused(b, "get", id=memory_id)
            assert "no memory" in await refused(b, "neighbours", id=memory_id)
        assert "no note" in (await refused(b, "note_read", path="projects/plan")).lower()

    beta(hosted, check)


def test_beta_changes_nothing_of_alphas(hosted: tuple[Hosted, dict[str, Any]]) -> None:
    async def check(b: Client, seeded: dict[str, Any]) -> None:
        secret, shared = seeded["secret"], seeded["shared"]
        await refused(b, "update", id=secret, content="beta was here")
        await refused(b, "forget", id=secret)
        await refused(b, "validate", id=secret, verdict="refute")
        await refused(b, "supersede", old_id=secret, new_id=shared)
        await refused(b, "relate", source=secret, target=shared)
        await refused(b, "note_edit", path="projects/plan", append="beta was here")
        await refused(b, "note_move", path="projects/plan", to="stolen/plan")
        await refused(b, "note_delete", path="projects/plan")
        await refused(b, "session_end", session_id=seeded["session"], done="beta ended it")
        await refused(
            b,
            "session_log",
            session_id=seeded["session"],
            messages=[{"role": "user", "content": "x"}],
        )

    beta(hosted, check)
    server, seeded = hosted

    async def alpha_intact() -> None:
        async with http_client(server.base, token=seeded["tokens"]["alpha"]) as a:
            memory = await call(a, "get", id=seeded["secret"])
            assert memory["content"] == SECRET and memory.get("valid_to") is None
            assert (await call(a, "neighbours", id=seeded["secret"]))["neighbours"]
            note = await call(a, "note_read", path="projects/plan")
            assert note["body"].strip() == "# Plan\n\nCapybara."
            assert (await call(a, "stats"))["sessions"] == 1

    anyio.run(alpha_intact)


def test_note_paths_that_climb_out_are_refused(hosted: tuple[Hosted, dict[str, Any]]) -> None:
    server, _seeded = hosted
    alpha_plan = server.root / "alpha" / "vault" / "projects" / "plan.md"
    before = alpha_plan.read_bytes()

    async def check(b: Client, seeded: dict[str, Any]) -> None:
        for path in (
            "../../alpha/vault/projects/plan",
            "../alpha/vault/projects/plan.md",
            "/" + str(alpha_plan),
        ):
            await refused(b, "note_read", path=path)
            await refused(b, "note_write", path=path, content="beta was here")
            await refused(b, "note_edit", path=path, append="beta was here")
        await refused(b, "index_path", path=str(server.root / "alpha"))

    beta(hosted, check)
    assert alpha_plan.read_bytes() == before
    assert not list((server.root / "beta").rglob("plan*.md"))


def test_a_cursor_minted_for_alpha_is_refused_for_beta(
    hosted: tuple[Hosted, dict[str, Any]],
) -> None:
    async def check(b: Client, seeded: dict[str, Any]) -> None:
        text = await refused(
            b, "search", query="capybara", limit=1, mode="keyword", cursor=seeded["cursor"]
        )
        assert "different request" in text

    beta(hosted, check)
    server, seeded = hosted

    async def alpha_pages() -> None:
        async with http_client(server.base, token=seeded["tokens"]["alpha"]) as a:
            page = await call(
                a, "search", query="capybara", limit=1, mode="keyword", cursor=seeded["cursor"]
            )
            assert len(page["hits"]) == 1

    anyio.run(alpha_pages)


def test_beta_writes_land_in_betas_vault_only(hosted: tuple[Hosted, dict[str, Any]]) -> None:
    async def check(b: Client, seeded: dict[str, Any]) -> None:
        await call(b, "remember", content="beta's own memory about otters", namespace="shared")
        await call(b, "note_write", path="otters/plan", content="# Beta plan\n")
        hits = (await call(b, "search", query="otters", mode="keyword"))["hits"]
        assert "beta's own memory about otters" in [hit["content"] for hit in hits]
        assert not [hit for hit in hits if "capybara" in hit["content"].lower()]

    beta(hosted, check)
    server, seeded = hosted
    assert "Capybara" in (server.root / "alpha/vault/projects/plan.md").read_text()
    assert "Beta plan" in (server.root / "beta/vault/otters/plan.md").read_text()
    assert not (server.root / "alpha/vault/otters").exists()

    async def alpha_sees_no_otters() -> None:
        async with http_client(server.base, token=seeded["tokens"]["alpha"]) as a:
            found = await call(a, "search", query="otters", namespace="shared")
            assert not [hit for hit in found["hits"] if "otters" in hit["content"]], found

    anyio.run(alpha_sees_no_otters)


def test_export_of_one_tenant_holds_only_its_own(
    hosted: tuple[Hosted, dict[str, Any]], tmp_path: Path
) -> None:
    async def write(b: Client, seeded: dict[str, Any]) -> None:
        await call(b, "remember", content="beta exports its beavers")

    beta(hosted, write)
    server, _seeded = hosted
    out = tmp_path / "beta.jsonl"
    done = memvault("tenants", "export", "beta", "--tenants", str(server.root), "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "beta exports its beavers" in text
    assert "capybara" not in text.lower() and "4471" not in text


def test_a_request_without_a_live_token_is_401(hosted: tuple[Hosted, dict[str, Any]]) -> None:
    server, seeded = hosted
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
    for headers in (
        {},
        {"Authorization": "Bearer mvt_not-a-token-of-anyone-here-at-all"},
        {"Authorization": seeded["tokens"]["alpha"]},  # no "Bearer"
        {"Authorization": f"Basic {seeded['tokens']['alpha']}"},
        {"X-Tenant": "alpha"},  # a tenant named by the client is no tenant
    ):
        reply = httpx2.post(f"{server.base}/mcp", headers={**MCP_HEADERS, **headers}, content=body)
        assert reply.status_code == 401, headers
    good = {"Authorization": f"Bearer {seeded['tokens']['alpha']}"}
    reply = httpx2.post(f"{server.base}/mcp", headers={**MCP_HEADERS, **good}, content=body)
    assert reply.status_code == 200, reply.text
