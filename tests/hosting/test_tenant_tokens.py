"""Tokens on a running hosted server: a rotation, a revocation or a removal made by the admin
CLI holds on the very next request (no restart), a grace period keeps the old token for its
length, and no token is ever written to a log or the registry."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2

from memvault.hosting.registry import TenantRegistry
from tests.hosting.hosted import MCP_HEADERS, add_tenants, hosted_server, memvault

LIST_TOOLS = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})


def status(base: str, token: str) -> int:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    return httpx2.post(f"{base}/mcp", headers=headers, content=LIST_TOOLS).status_code


def cli(root: Path, *args: str) -> dict[str, object]:
    done = memvault("tenants", *args, "--tenants", str(root), "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_rotation_revocation_and_removal_hold_on_the_next_request(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    tokens = add_tenants(root, "alpha", "beta")
    issued = list(tokens.values())
    with hosted_server(root) as server:
        base = server.base
        assert status(base, tokens["alpha"]) == 200 and status(base, tokens["beta"]) == 200

        rotated = str(cli(root, "rotate-token", "alpha")["token"])
        issued.append(rotated)
        assert status(base, tokens["alpha"]) == 401  # the old one: gone at once
        assert status(base, rotated) == 200

        graced = str(cli(root, "rotate-token", "alpha", "--grace", "3600")["token"])
        issued.append(graced)
        assert status(base, rotated) == 200  # still inside its grace period
        assert status(base, graced) == 200

        cli(root, "revoke", "alpha")
        assert status(base, rotated) == 401 and status(base, graced) == 401
        assert status(base, tokens["beta"]) == 200  # another tenant is untouched

        removed = cli(root, "remove", "beta")
        assert status(base, tokens["beta"]) == 401
        assert removed["archived_to"] and Path(str(removed["archived_to"])).is_dir()
        assert not (root / "beta").exists()
        server.proc.terminate()
        server.proc.wait(15)
        stderr = server.proc.stderr.read()  # type: ignore[union-attr]

    # No token in the server's output, its log, the registry, or any file under the folder.
    log = root / "logs" / "memvault.log"
    assert "serving 2 tenants" in log.read_text("utf-8")
    texts = [stderr] + [
        path.read_text("utf-8", "replace") for path in root.rglob("*") if path.is_file()
    ]
    for token in issued:
        assert not [text for text in texts if token in text]


def test_a_grace_period_ends(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    registry = TenantRegistry(root, create=True)
    tenant, first = registry.add("alpha")
    _, second = registry.rotate("alpha", grace_seconds=0.05)
    assert registry.find(first) is not None and registry.find(second) is not None
    import time

    time.sleep(0.1)
    assert registry.find(first) is None
    found = registry.find(second)
    assert found is not None and found.name == tenant.name


def test_tokens_are_kept_as_keyed_hashes_only(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    registry = TenantRegistry(root, create=True)
    _, token = registry.add("alpha")
    text = (root / "tenants.json").read_text()
    assert token not in text and token[4:] not in text
    assert (root / "tenants.json").stat().st_mode & 0o077 == 0
    assert (root / ".tenants.key").stat().st_mode & 0o077 == 0
    # Another process (the server) reading the same folder finds the tenant by its token.
    assert TenantRegistry(root).find(token) is not None
    assert TenantRegistry(root).find(token + "x") is None
