"""The open-vault pool and the shared embedding, on real tenant vaults (hash embedder)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from memvault.core.records import MemoryDraft
from memvault.hosting.host import Host, open_tenant
from memvault.hosting.pool import TenantPool
from memvault.hosting.registry import Tenant, TenantRegistry
from memvault.service.vault import Vault


def registry_of(tmp_path: Path, *names: str) -> tuple[TenantRegistry, dict[str, Tenant]]:
    registry = TenantRegistry(tmp_path / "tenants", create=True)
    tenants = {name: registry.add(name)[0] for name in names}
    return registry, tenants


def counting_pool(registry: TenantRegistry, **options: float) -> tuple[TenantPool, list[str]]:
    opened: list[str] = []

    def opener(tenant: Tenant) -> Vault:
        opened.append(tenant.name)
        return open_tenant(registry, tenant, "hash")

    return TenantPool(opener, **options), opened  # type: ignore[arg-type]


def test_the_least_recently_used_unleased_vault_is_closed_over_the_bound(tmp_path: Path) -> None:
    registry, tenants = registry_of(tmp_path, "a", "b", "c")
    pool, opened = counting_pool(registry, max_open=2)
    for name in ("a", "b", "c"):
        with pool.lease(tenants[name]) as vault:
            vault.remember(f"memory of {name}")
    assert pool.open_names() == ["b", "c"]
    with pool.lease(tenants["a"]) as vault:  # opened again, its data there
        assert [m.content for m in vault.list()] == ["memory of a"]
    assert opened == ["a", "b", "c", "a"]
    assert pool.open_names() == ["c", "a"]
    pool.close()
    assert pool.open_names() == []


def test_a_leased_vault_is_never_closed_under_its_request(tmp_path: Path) -> None:
    registry, tenants = registry_of(tmp_path, "a", "b", "c")
    pool, _opened = counting_pool(registry, max_open=2)
    with pool.lease(tenants["a"]) as held:  # the least recently used, but leased
        for name in ("b", "c"):
            with pool.lease(tenants[name]):
                pass
        assert "a" in pool.open_names() and len(pool.open_names()) <= 2
        held.remember("still writable while others came and went")
    assert pool.open_names() == ["a", "c"]
    pool.close()


def test_many_requests_for_one_tenant_open_it_once(tmp_path: Path) -> None:
    registry, tenants = registry_of(tmp_path, "a")
    pool, opened = counting_pool(registry, max_open=4)
    errors: list[BaseException] = []

    def request(n: int) -> None:
        try:
            with pool.lease(tenants["a"]) as vault:
                vault.remember(f"concurrent memory {n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and opened == ["a"]
    with pool.lease(tenants["a"]) as vault:
        assert len(vault.list(limit=50)) == 12
    pool.close()


def test_an_idle_vault_is_closed_and_checkpointed(tmp_path: Path) -> None:
    registry, tenants = registry_of(tmp_path, "a")
    pool, _opened = counting_pool(registry, idle_seconds=0.0)
    with pool.lease(tenants["a"]) as vault:
        vault.remember_many([MemoryDraft(content=f"idle memory {n}") for n in range(50)])
    assert pool.close_idle() == ["a"]
    assert pool.open_names() == []
    wal = registry.home("a") / "memvault.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed into the database file


def test_a_small_tenant_is_embedded_while_a_big_import_still_runs(tmp_path: Path) -> None:
    registry, tenants = registry_of(tmp_path, "big", "small")
    host = Host(registry, embedder="hash", embed_threads=1)
    try:
        with host.serving(tenants["big"]) as big:
            big.remember_many([MemoryDraft(content=f"imported row {n}") for n in range(6000)])
        host.start()  # the big tenant is queued first (woken after its request)
        time.sleep(0.05)
        with host.serving(tenants["small"]) as small:
            small.remember("the small tenant's one new memory")
        deadline = time.monotonic() + 60
        while True:
            with host.serving(tenants["small"]) as small:
                if small.jobs().pending == 0:
                    break
            assert time.monotonic() < deadline, "the small tenant's job was never embedded"
            time.sleep(0.01)
        with host.serving(tenants["big"]) as big:
            assert big.jobs().queued > 0  # it did not wait for the whole import
    finally:
        host.stop()
