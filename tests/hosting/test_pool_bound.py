"""The pool's bound is hard: a tenant past ``max_open`` waits while every open vault is leased,
then the least recently used one is closed to make room."""

from __future__ import annotations

import threading
from contextlib import ExitStack
from pathlib import Path

from memvault.hosting.host import open_tenant
from memvault.hosting.pool import TenantPool
from memvault.hosting.registry import Tenant, TenantRegistry


def test_a_tenant_past_the_bound_waits_for_a_lease_then_takes_the_least_recent_room(
    tmp_path: Path,
) -> None:
    registry = TenantRegistry(tmp_path / "tenants", create=True)
    a, b, c = (registry.add(name)[0] for name in ("a", "b", "c"))
    pool = TenantPool(lambda tenant: open_tenant(registry, tenant, "hash"), max_open=2)
    seen: list[list[str]] = []

    def lease_c(tenant: Tenant) -> None:
        with pool.lease(tenant) as vault:
            vault.remember("c was opened")
            seen.append(sorted(pool.open_names()))

    try:
        with ExitStack() as leased_a:
            leased_a.enter_context(pool.lease(a)).remember("a")
            with pool.lease(b) as vault_b:
                vault_b.remember("b")
                third = threading.Thread(target=lease_c, args=(c,))
                third.start()
                third.join(0.5)
                assert third.is_alive(), "c opened while both open vaults were leased"
                assert sorted(pool.open_names()) == ["a", "b"]
                leased_a.close()  # a's lease ends: a is the least recent unleased vault
                third.join(30)
                assert not third.is_alive()
                assert seen == [["b", "c"]]
        with pool.lease(a) as vault_a:  # a opens again, in place of the least recent (b)
            assert [m.content for m in vault_a.list()] == ["a"]
            assert sorted(pool.open_names()) == ["a", "c"]
    finally:
        pool.close()
