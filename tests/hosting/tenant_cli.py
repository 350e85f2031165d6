"""Tenants of a real hosting folder, made for a test, and the real CLI run against it."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memvault.hosting.host import open_tenant
from memvault.hosting.registry import TenantRegistry
from tests.server.mcp_helpers import server_env


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def memvault(*args: str, tenants: Path) -> Ran:
    """``python -m memvault.cli.app ARGS`` with ``$MEMVAULT_TENANTS`` set to ``tenants``."""
    done = subprocess.run(
        [sys.executable, "-m", "memvault.cli.app", *args],
        check=False,
        env=server_env(MEMVAULT_TENANTS=str(tenants)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def make_tenants(root: Path, facts: dict[str, list[str]]) -> dict[str, str]:
    """Add each tenant with its memories (embedded, nothing left queued); their tokens."""
    registry = TenantRegistry(root, create=True)
    tokens = {}
    for name, contents in facts.items():
        tenant, tokens[name] = registry.add(name)
        with open_tenant(registry, tenant, "hash") as vault:
            for content in contents:
                vault.remember(content)
            vault.wait_for_jobs()
    return tokens


def exported(path_or_text: Path | str) -> list[str]:
    """The memories' contents of a JSONL export (a file, or the text of one)."""
    text = path_or_text.read_text() if isinstance(path_or_text, Path) else path_or_text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    return sorted(line["content"] for line in lines if line.get("type") == "memory")
