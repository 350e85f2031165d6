"""A real hosted server (`memvault serve --http … --tenants DIR`) and its tenants, for tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from memvault.hosting.registry import TenantRegistry
from tests.server.mcp_helpers import free_port, server_env, wait_until_up

MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
}


@dataclass
class Hosted:
    base: str
    root: Path
    proc: subprocess.Popen[str]


def add_tenants(root: Path, *names: str) -> dict[str, str]:
    """Tenants made through the CLI's registry; their tokens by name."""
    registry = TenantRegistry(root, create=True)
    return {name: registry.add(name)[1] for name in names}


def memvault(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memvault.cli.app", *args],
        env=server_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextmanager
def hosted_server(root: Path, *args: str) -> Iterator[Hosted]:
    port = free_port()
    command = [sys.executable, "-m", "memvault.cli.app", "serve", "--tools", "all"]
    proc = subprocess.Popen(
        [*command, "--http", f"127.0.0.1:{port}", "--tenants", str(root), *args],
        env=server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base, 30)
        yield Hosted(base, root, proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
