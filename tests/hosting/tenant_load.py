"""A real hosted server (``memvault serve --tenants DIR``) and plain JSON-RPC clients of it, for
the load and crash tests: each tenant's memories carry a marker word of its own, so anything a
tenant is shown that carries another's marker is a cross-tenant result."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from memvault.hosting.registry import TenantRegistry
from tests.server.mcp_helpers import free_port, serve_command, server_env

HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}
MARKERS = re.compile(r"\bmk\d{4}q\b")


@dataclass(frozen=True)
class Key:
    name: str
    token: str
    marker: str


@dataclass
class Written:
    """Every acknowledged remember: tenant name -> id -> content."""

    memories: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, tenant: str, memory_id: str, content: str) -> None:
        self.memories.setdefault(tenant, {})[memory_id] = content

    def count(self) -> int:
        return sum(len(ids) for ids in self.memories.values())


def make_tenants(root: Path, count: int) -> list[Key]:
    registry = TenantRegistry(root, create=True)
    keys = []
    for index in range(count):
        tenant, token = registry.add(f"t{index:02d}")
        keys.append(Key(tenant.name, token, f"mk{index:04d}q"))
    return keys


def foreign(content: str, key: Key) -> bool:
    """Whether ``content`` is not the tenant's own (another's marker, or none)."""
    return set(MARKERS.findall(content)) != {key.marker}


@dataclass
class Hosted:
    process: subprocess.Popen[str]
    base: str

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(15)


@contextmanager
def hosted(root: Path, *args: str) -> Iterator[Hosted]:
    """``memvault serve --http 127.0.0.1:PORT --tenants ROOT ARGS`` until the block ends (its
    stderr in ``server.log`` beside ROOT)."""
    port = free_port()
    log = root.parent / "server.log"
    with log.open("a") as stderr:
        process = subprocess.Popen(
            serve_command(None, "--http", f"127.0.0.1:{port}", "--tenants", str(root), *args),
            env=server_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    server = Hosted(process, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited {process.returncode}: {log.read_text()}")
            try:
                if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the hosted server did not start in 30 s"
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(30)


def client(base: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base, headers=HEADERS, limits=limits, timeout=60)


async def call(http: httpx.AsyncClient, key: Key, tool: str, **arguments: Any) -> tuple[bool, Any]:
    """(True, the structured answer) or (False, the tool error's text); anything else (an HTTP
    status, a JSON-RPC error) raises."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    }
    reply = await http.post("/mcp", json=body, headers={"Authorization": f"Bearer {key.token}"})
    assert reply.status_code == 200, f"{tool}: HTTP {reply.status_code} {reply.text[:200]}"
    message = reply.json()
    assert "error" not in message, f"{tool}: {message['error']}"
    result = message["result"]
    if result.get("isError"):
        return False, result["content"][0]["text"]
    return True, result.get("structuredContent") or json.loads(result["content"][0]["text"])


def open_vaults(pid: int) -> int:
    """The distinct ``memvault.db`` files the process had open at one moment: handles that
    named the same file in two passes over /proc (one pass, while vaults close and open, may
    see the handle of a vault closed since and that of the one opened in its place)."""
    first, second = _handles(pid), _handles(pid)
    return len({t for fd, t in first.items() if second.get(fd) == t and t.endswith("/memvault.db")})


def _handles(pid: int) -> dict[str, str]:
    found = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            found[name] = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:  # closed since the listing
            continue
    return found
