"""Quotas on a hosted server: a tenant at its record quota can read, search and delete but not
add (one clear tool error), and a tenant over its request rate gets 429 with Retry-After;
neither touches another tenant."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2

from memvault.hosting.quota import Quota
from memvault.hosting.registry import TenantRegistry
from tests.hosting.hosted import MCP_HEADERS, hosted_server
from tests.server.mcp_helpers import call, http_client


def test_a_tenant_at_its_record_quota_can_read_and_delete_but_not_add(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    registry = TenantRegistry(root, create=True)
    _, small = registry.add("small", quota=Quota(memories=3))
    _, other = registry.add("other")
    with hosted_server(root) as server:

        async def session() -> None:
            async with http_client(server.base, token=small) as client:
                ids = [
                    (await call(client, "remember", content=f"kept memory number {n}"))["id"]
                    for n in range(3)
                ]
                time.sleep(2.1)  # usage is read again after USAGE_SECONDS
                result = await client.call_tool("remember", {"content": "one too many"})
                text = result.content[0].text  # type: ignore[union-attr]
                assert result.is_error and "quota is 3" in text, text
                note = await client.call_tool("note_write", {"path": "n", "content": "x"})
                assert note.is_error
                hits = await call(client, "search", query="kept memory", mode="keyword")
                assert len(hits["hits"]) == 3
                await call(client, "forget", id=ids[0])
                time.sleep(2.1)
                assert (await call(client, "remember", content="room again"))["created"]
            async with http_client(server.base, token=other) as client:
                for n in range(5):
                    await call(client, "remember", content=f"another tenant's memory {n}")

        anyio.run(session)


def test_a_tenant_over_its_request_rate_gets_429(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    registry = TenantRegistry(root, create=True)
    _, limited = registry.add("limited", quota=Quota(requests_per_minute=5))
    _, free = registry.add("free")
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})

    def post(token: str) -> httpx2.Response:
        headers: dict[str, Any] = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
        return httpx2.post(f"{server.base}/mcp", headers=headers, content=body)

    with hosted_server(root) as server:
        assert [post(limited).status_code for _ in range(5)] == [200] * 5
        refused = post(limited)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["error"] == "rate_limited"
        assert all(post(free).status_code == 200 for _ in range(8))


def test_the_tools_refused_at_a_quota_are_those_that_add() -> None:
    from memvault.server.app import adds_data, build_server

    server = build_server(None, before_adding=lambda: None)
    adding = {tool.name for tool in server._tool_manager.list_tools() if adds_data(tool)}
    assert {"remember", "note_write", "note_edit", "index_path", "relate", "update"} <= adding
    assert {"session_log", "session_start", "supersede"} <= adding
    never = {"search", "get", "recent", "stats", "forget", "note_delete", "note_read", "jobs"}
    assert not adding & never


def test_the_web_page_of_a_tenant_at_its_quota_refuses_adding_but_forgets(tmp_path: Path) -> None:
    from tests.web.browser import logged_in_client

    root = tmp_path / "tenants"
    registry = TenantRegistry(root, create=True)
    _, token = registry.add("small", quota=Quota(memories=2))
    with hosted_server(root) as server:

        async def fill() -> list[str]:
            async with http_client(server.base, token=token) as client:
                return [
                    (await call(client, "remember", content=f"page memory {n}"))["id"]
                    for n in range(2)
                ]

        ids = anyio.run(fill)
        time.sleep(2.1)  # usage is read again after USAGE_SECONDS
        client, csrf = logged_in_client(server.base, token)
        made = client.post("/notes/new", data={"path": "more", "body": "one more\n", "csrf": csrf})
        assert made.status_code == 403 and "quota is 2" in made.text
        assert not (root / "small" / "vault" / "more.md").exists()
        forgot = client.post(f"/memories/{ids[0]}/forget", data={"csrf": csrf, "confirm": "yes"})
        assert forgot.status_code == 303, forgot.text
        assert "page memory 1" in client.get("/memories").text
