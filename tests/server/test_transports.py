"""The MCP server over real stdio and real HTTP, in both protocol eras, with its HTTP security."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client

from tests.server.mcp_helpers import (
    TOKEN,
    call,
    free_port,
    http_client,
    http_server,
    serve_command,
    server_env,
    stdio_params,
)

ERAS = ["legacy", "2026-07-28"]


@pytest.mark.parametrize("mode", ERAS)
def test_stdio_remember_then_search(home: Path, mode: str) -> None:
    async def session() -> None:
        async with Client(stdio_params(home), mode=mode) as client:  # type: ignore[arg-type]
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"remember", "search", "note_write"} <= names
            stored = await call(client, "remember", content=f"stdio era {mode}: axolotl_tank")
            found = await call(client, "search", query="axolotl_tank")
            assert [hit["id"] for hit in found["hits"]] == [stored["id"]]

    anyio.run(session)


def test_stdio_server_stops_cleanly_on_sigterm(home: Path) -> None:
    proc = subprocess.Popen(
        serve_command(home),
        env=server_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }
    proc.stdin.write(json.dumps(hello) + "\n")
    proc.stdin.flush()
    assert json.loads(proc.stdout.readline())["id"] == 1  # serving: its signal handling is on
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    proc.stdin.close()


@pytest.mark.parametrize("mode", ERAS)
def test_http_remember_then_search_with_a_token(home: Path, mode: str) -> None:
    with http_server(home) as base:

        async def session() -> None:
            async with http_client(base, mode=mode) as client:
                stored = await call(client, "remember", content=f"http era {mode}: quetzal_nest")
                found = await call(client, "search", query="quetzal_nest")
                assert [hit["id"] for hit in found["hits"]] == [stored["id"]]

        anyio.run(session)


def test_http_refuses_missing_or_wrong_tokens_and_foreign_hosts_and_origins(home: Path) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    with http_server(home) as base:
        url = f"{base}/mcp"
        missing = httpx2.post(url, json=body, headers=json_headers)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        wrong = httpx2.post(url, json=body, headers={**json_headers, "Authorization": "Bearer x"})
        assert wrong.status_code == 401
        good = {**json_headers, "Authorization": f"Bearer {TOKEN}"}
        rebinding = httpx2.post(url, json=body, headers={**good, "Host": "evil.example:80"})
        assert rebinding.status_code == 421
        origin = httpx2.post(url, json=body, headers={**good, "Origin": "https://evil.example"})
        assert origin.status_code == 403
        local_page = {**good, "Origin": base}
        assert httpx2.post(url, json=body, headers=local_page).status_code != 403
        assert httpx2.get(f"{base}/healthz").text == "ok"  # no secrets there: no token needed


def run_serve(
    home: Path, *args: str, env_token: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = server_env(**({"MEMVAULT_TOKEN": env_token} if env_token else {}))
    return subprocess.run(
        serve_command(home, *args),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_http_without_a_token_is_refused_at_start(home: Path, tmp_path: Path) -> None:
    port = free_port()
    refused = run_serve(home, "--http", f"127.0.0.1:{port}")
    assert refused.returncode == 1
    assert "needs a bearer token" in refused.stderr and refused.stderr.count("\n") == 1
    public = run_serve(home, "--http", f"0.0.0.0:{port}", "--no-auth")
    assert public.returncode == 1 and "loopback" in public.stderr
    empty = tmp_path / "empty-token"
    empty.write_text("\n")
    assert (
        run_serve(home, "--http", f"127.0.0.1:{port}", "--token-file", str(empty)).returncode == 1
    )
    assert run_serve(home, "--http", "nonsense").returncode == 1


def test_token_file_and_explicit_no_auth_on_loopback(home: Path, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("token-from-a-file-77\n")
    with http_server(home, "--token-file", str(token_file), token=None) as base:

        async def with_file_token() -> None:
            async with http_client(base, token="token-from-a-file-77") as client:
                assert (await call(client, "stats"))["check"] == "ok"

        anyio.run(with_file_token)
    with http_server(home, "--no-auth", token=None) as base:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        reply = httpx2.post(
            f"{base}/mcp",
            json=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "MCP-Protocol-Version": "2025-11-25",
            },
        )
        assert reply.status_code != 401
