"""Starting real memvault MCP servers (stdio and HTTP) and talking to them as clients do."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).parents[2]
TOKEN = "test-token-3f9a-5c2e"


def server_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "MEMVAULT_EMBEDDER": "hash", "MEMVAULT_BACKGROUND": "0", **extra}
    env.pop("MEMVAULT_TOKEN", None)
    env.update(extra)
    return env


def serve_command(home: Path | None, *args: str, db: str | None = None) -> list[str]:
    """``memvault serve`` listing every tool (the tests call them all); the default set is
    tested on its own (test_inspector, test_tools_list). ``db``: a store URL (with no home:
    DB-only)."""
    tools = [] if "--tools" in args else ["--tools", "all"]
    command = [sys.executable, "-m", "memvault.cli.app"]
    command += [] if db is None else ["--db", db]
    command += [] if home is None else ["--home", str(home)]
    return [*command, "serve", *tools, *args]


def stdio_params(home: Path) -> StdioServerParameters:
    command = serve_command(home)
    return StdioServerParameters(command=command[0], args=command[1:], env=server_env())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(proc: subprocess.Popen[str], base: str, seconds: float = 30) -> None:
    """Until a `memvault serve --http` process answers /healthz (its stderr if it exits)."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {proc.stderr.read()}")  # type: ignore[union-attr]
        try:
            if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"server did not start in {seconds:g} s")
        time.sleep(0.1)


@contextmanager
def http_server(
    home: Path | None, *args: str, token: str | None = TOKEN, db: str | None = None
) -> Iterator[str]:
    """A `memvault serve --http` process; yields its base URL (http://127.0.0.1:PORT)."""
    port = free_port()
    env = server_env(**({"MEMVAULT_TOKEN": token} if token else {}))
    proc = subprocess.Popen(
        serve_command(home, "--http", f"127.0.0.1:{port}", *args, db=db),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base, 30)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


@asynccontextmanager
async def http_client(
    base: str, *, mode: str = "auto", token: str = TOKEN
) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=120)) as http,
        Client(streamable_http_client(f"{base}/mcp", http_client=http), mode=mode) as client,  # type: ignore[arg-type]
    ):
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text  # type: ignore[union-attr]
    assert not result.is_error, text
    return json.loads(text)
