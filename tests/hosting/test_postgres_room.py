"""A host of tenants on PostgreSQL refuses to start, in one line, when its open tenants could
need more connections than their server takes; one that fits starts. On the real test server:
its own ``max_connections`` and the sessions open on it decide."""

from __future__ import annotations

from pathlib import Path

import pytest

from memvault.core.errors import InvalidInputError
from memvault.hosting.host import Host
from memvault.hosting.registry import TenantRegistry
from memvault.storage import server_connections


def hosting(root: Path, database: str, prefix: str) -> TenantRegistry:
    registry = TenantRegistry(root, create=True)
    registry.add(f"{prefix}-acme", database=database)
    registry.add(f"{prefix}-globex", database=database)
    registry.add(f"{prefix}-solo")  # on SQLite: no server to count
    return registry


def test_a_host_that_could_exhaust_its_server_is_refused(
    postgres_database: str, tmp_path: Path
) -> None:
    registry = hosting(tmp_path / "tenants", postgres_database, "full")
    stores = [t.store for t in registry.tenants() if t.store]
    [(server, (tenants, room))] = server_connections(stores).items()
    assert tenants == 2 and 0 < room <= 10_000 and "schema" not in server
    per_tenant = room // 2 + 1  # two open tenants would need more than the server takes
    host = Host(registry, max_open=8, embedder="hash", store_connections=per_tenant)
    with pytest.raises(InvalidInputError) as refused:
        host.start()
    message = str(refused.value)
    assert "\n" not in message and server in message and f"need {2 * per_tenant}" in message
    assert "lower --max-open to 1" in message and "max_connections" in message
    host.stop()


def test_a_host_that_fits_starts_and_counts_only_its_servers_tenants(
    postgres_database: str, tmp_path: Path
) -> None:
    registry = hosting(tmp_path / "tenants", postgres_database, "fits")
    host = Host(registry, max_open=64, embedder="hash")  # 2 tenants x 3, not 64 x 3
    host.start()
    try:
        [acme] = [t for t in registry.tenants() if t.name == "fits-acme"]
        with host.serving(acme) as vault:
            kept = vault.remember("the host started")
            assert vault.get(kept.id).content == "the host started"
    finally:
        host.stop()
