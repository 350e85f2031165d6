"""What a hostile client or a careless start must not get from `memvault serve --http`:
files outside the index roots, a request read two ways, a guessable token, a confusing exit."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client

from tests.server.mcp_helpers import (
    ROOT,
    TOKEN,
    call,
    free_port,
    http_client,
    http_server,
    serve_command,
    server_env,
    stdio_params,
)

LIST_TOOLS = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})


async def refused(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    text: str = result.content[0].text  # type: ignore[union-attr]
    assert result.is_error, text
    return text


# --- item 1: index_path only inside --index-root ---------------------------------------------
def secret_folder(tmp_path: Path) -> Path:
    secret = tmp_path / "etc"
    secret.mkdir()
    (secret / "resolv.conf").write_text("nameserver 10.0.0.53\n")
    return secret


def test_http_index_path_reads_only_inside_the_index_roots(home: Path, tmp_path: Path) -> None:
    secret = secret_folder(tmp_path)
    allowed = tmp_path / "project"
    allowed.mkdir()
    (allowed / "notes.md").write_text("# Plan\n\nThe capybara migration ships in May.\n")
    (allowed / "escape").symlink_to(secret, target_is_directory=True)
    with http_server(home, "--index-root", str(allowed)) as base:

        async def session() -> None:
            async with http_client(base) as client:
                outside = await refused(client, "index_path", path=str(secret))
                assert "outside the folders this server may index" in outside
                assert str(allowed.resolve()) in outside
                # A symlink inside the root that points out of it is outside, resolved.
                linked = await refused(client, "index_path", path=str(allowed / "escape"))
                assert "outside" in linked
                dotted = await refused(client, "index_path", path=f"{allowed}/../etc")
                assert "outside" in dotted
                # Whether a path exists outside the roots is not told either.
                missing = await refused(client, "index_path", path=str(tmp_path / "nope"))
                assert "outside" in missing
                report = await call(client, "index_path", path=str(allowed))
                assert report["indexed"] == 1
                found = await call(client, "search", query="nameserver", mode="keyword")
                assert found["hits"] == []
                assert (await call(client, "search", query="capybara"))["hits"]

        anyio.run(session)


def test_http_index_path_is_off_without_an_index_root(home: Path, tmp_path: Path) -> None:
    secret = secret_folder(tmp_path)
    with http_server(home) as base:

        async def session() -> None:
            async with http_client(base) as client:
                text = await refused(client, "index_path", path=str(secret))
                assert "may index no folders" in text and "--index-root" in text
                found = await call(client, "search", query="nameserver", mode="keyword")
                assert found["hits"] == []

        anyio.run(session)


def test_stdio_index_path_defaults_to_the_folder_the_server_started_in(
    home: Path, tmp_path: Path
) -> None:
    secret = secret_folder(tmp_path)
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "docs" / "a.md").write_text("the wombat protocol\n")
    params = stdio_params(home)
    params.cwd = project
    assert params.env is not None  # this checkout's memvault, wherever the server starts
    params.env["PYTHONPATH"] = str(ROOT / "src")

    async def session() -> None:
        async with Client(params) as client:  # type: ignore[arg-type]
            assert (await call(client, "index_path", path="docs"))["indexed"] == 1
            assert "outside" in await refused(client, "index_path", path=str(secret))

    anyio.run(session)


def test_index_root_that_is_not_a_folder_is_refused_at_start(home: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        serve_command(home, "--index-root", str(tmp_path / "missing")),
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert done.stderr == f"memvault: error: index root {tmp_path / 'missing'} is not a folder\n"


# --- item 3: duplicate headers, short tokens, a port in use, the start line ------------------
def raw_post(port: int, headers: list[tuple[str, str]]) -> int:
    """A POST with exactly these headers, duplicates included (httpx would merge them)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("POST", "/mcp", skip_host=True, skip_accept_encoding=True)
        for name, value in [
            *headers,
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            ("MCP-Protocol-Version", "2025-11-25"),
            ("Content-Length", str(len(LIST_TOOLS))),
        ]:
            conn.putheader(name, value)
        conn.endheaders(LIST_TOOLS.encode())
        return conn.getresponse().status
    finally:
        conn.close()


def test_http_refuses_two_host_origin_or_authorization_headers(home: Path) -> None:
    with http_server(home) as base:
        port = int(base.rsplit(":", 1)[1])
        host = ("Host", f"127.0.0.1:{port}")
        good = ("Authorization", f"Bearer {TOKEN}")
        assert raw_post(port, [host, good]) == 200
        assert raw_post(port, [("Host", "evil.example:80"), host, good]) == 400
        assert raw_post(port, [host, ("Authorization", "Bearer wrong"), good]) == 400
        assert raw_post(port, [host, good, good]) == 400
        allowed = ("Origin", f"http://127.0.0.1:{port}")
        assert raw_post(port, [host, allowed, good]) == 200
        assert raw_post(port, [host, ("Origin", "http://evil.example"), allowed, good]) == 400


def run_serve(home: Path, *args: str, token: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        serve_command(home, *args),
        env=server_env(MEMVAULT_TOKEN=token),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_token_under_16_characters_is_refused_at_start(home: Path) -> None:
    done = run_serve(home, "--http", f"127.0.0.1:{free_port()}", token="fifteen-chars-x")
    assert done.returncode == 1
    assert done.stderr.startswith("memvault: error: the bearer token has 15 characters")
    assert "at least 16" in done.stderr and done.stderr.count("\n") == 1


def test_a_port_in_use_is_one_line_and_exit_1(home: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = run_serve(home, "--http", f"127.0.0.1:{port}", token=TOKEN)
    assert done.returncode == 1
    assert done.stderr == (
        f"memvault: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


def test_the_server_says_where_it_listens_and_what_it_may_index(home: Path, tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        serve_command(home, "--http", f"127.0.0.1:{port}", "--index-root", str(tmp_path)),
        env=server_env(MEMVAULT_TOKEN=TOKEN),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                time.sleep(0.1)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=15)
    assert stderr.splitlines()[0] == (
        f"memvault: serving MCP at http://127.0.0.1:{port}/mcp; the web page at "
        f"http://127.0.0.1:{port}/; 24 tools (all); "
        f"index_path may read: {tmp_path.resolve()}"
    )
