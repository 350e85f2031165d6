"""Everything a server of many tenants holds: the registry, the open vaults, the request rates,
the shared embedding, and the reaper that closes idle vaults.

A request's way through it (``server/tenants.py`` is the HTTP side): its token names the
tenant (:meth:`Host.tenant_for`; nothing the client chooses can), the tenant's request rate is
admitted or refused, a write is checked against the stored-data quotas, the vault is leased for
the request's length (:meth:`Host.serving`), and the tenant is woken in the embedding queue
after it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from memvault.core.errors import ConflictError, NotFoundError
from memvault.embedding.base import Embedder
from memvault.embedding.factory import DEFAULT_SPEC, make_embedder
from memvault.hosting.current import current
from memvault.hosting.embedding import SharedEmbedding
from memvault.hosting.pool import DEFAULT_IDLE_SECONDS, DEFAULT_MAX_OPEN, TenantPool
from memvault.hosting.quota import USAGE_SECONDS, RequestRate, Usage, check_usage
from memvault.hosting.registry import Tenant, TenantRegistry
from memvault.hosting.restore_guard import restoring
from memvault.hosting.schedule import TenantBackups
from memvault.hosting.stores import HOSTED_POOL_MAX, bounded, check_connection_room
from memvault.indexing.roots import IndexRoots
from memvault.service.backup_schedule import CHECK_EVERY_S
from memvault.service.embeddings import EMBEDDER_ENV, NO_VECTORS
from memvault.service.opening import open_vault
from memvault.service.vault import Vault

log = logging.getLogger(__name__)
REAP_SECONDS = 5.0


def open_tenant(
    registry: TenantRegistry,
    tenant: Tenant,
    embedder: str | Embedder | None = None,
    *,
    connections: int | None = None,
) -> Vault:
    """A tenant's vault, as an ordinary home (made on first open). A tenant on PostgreSQL
    keeps its Markdown folder (unless DB-only) in the home and its index in its schema;
    ``connections`` bounds that store's pool (a host's many tenants), else the default pool."""
    store = tenant.store
    if store is not None and connections is not None:
        store = bounded(store, connections)
    return open_vault(
        registry.home(tenant.name),
        embedder=embedder,
        background=False,
        vault=None if tenant.folder else False,
        create=True,
        db=store,
    )


def shared_embedder(spec: str | None = None) -> str | Embedder:
    """One embedder for every tenant: one model in memory, whatever the number of tenants
    (``spec``, else ``$MEMVAULT_EMBEDDER``, else the default)."""
    chosen = (spec or os.environ.get(EMBEDDER_ENV) or DEFAULT_SPEC).strip()
    return NO_VECTORS if chosen.lower() == NO_VECTORS else make_embedder(chosen)


class Host:
    def __init__(
        self,
        registry: TenantRegistry,
        *,
        max_open: int = DEFAULT_MAX_OPEN,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        embed_threads: int = 1,
        embedder: str | None = None,
        backup_interval: float = CHECK_EVERY_S,
        store_connections: int = HOSTED_POOL_MAX,
    ) -> None:
        self.registry = registry
        # Each open tenant on PostgreSQL holds at most this many connections (one at rest,
        # none once closed), so max_open bounds the host's connections to the server too.
        self.store_connections = store_connections
        self._embedder = shared_embedder(embedder)
        self.pool = TenantPool(
            self._open,
            max_open=max_open,
            idle_seconds=idle_seconds,
            on_open=self._opened,
        )
        self.rate = RequestRate()
        self.embedding = SharedEmbedding(
            self._lease_open, self.pool.open_names, threads=embed_threads
        )
        self.backups = TenantBackups(registry, self.pool, interval=backup_interval)
        self._usage: dict[str, tuple[float, Usage]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="memvault-reaper", daemon=True)

    def start(self) -> None:
        stores = [tenant.store for tenant in self.registry.tenants() if tenant.store]
        check_connection_room(stores, self.pool.max_open, self.store_connections)
        self.embedding.start()
        self._reaper.start()
        self.backups.start()  # a period's backup missed while the server was down runs now

    def stop(self) -> None:
        self._stop.set()
        self.backups.stop()
        self.embedding.stop()
        if self._reaper.is_alive():
            self._reaper.join(timeout=30)
        self.pool.close()

    # --- a request --------------------------------------------------------------------------
    def tenant_for(self, token: str) -> Tenant | None:
        return self.registry.find(token)

    @contextmanager
    def serving(self, tenant: Tenant) -> Iterator[Vault]:
        with self.pool.lease(tenant) as vault:
            try:
                yield vault
            finally:
                self.embedding.wake(tenant.name)

    def check_write(self, tenant: Tenant, vault: Vault) -> None:
        """Refuse a write (``QuotaExceededError``) when the tenant is at a stored-data quota."""
        quota = tenant.quota
        if quota.memories is None and quota.bytes is None:
            return
        check_usage(tenant.name, quota, self._usage_of(tenant.name, vault))

    def check_current(self) -> None:
        """:meth:`check_write` for the tenant of the running request (a tool about to add)."""
        tenant, vault = current()
        self.check_write(tenant, vault)

    def _usage_of(self, name: str, vault: Vault) -> Usage:
        now = time.monotonic()
        with self._lock:
            cached = self._usage.get(name)
        if cached is not None and now - cached[0] < USAGE_SECONDS:
            return cached[1]
        stats = vault.stats()
        usage = Usage(
            records=stats.memories + stats.chunks + stats.messages,
            bytes=stats.db_bytes + stats.wal_bytes,
        )
        with self._lock:
            self._usage[name] = (now, usage)
        return usage

    # --- inside -----------------------------------------------------------------------------
    def _open(self, tenant: Tenant) -> Vault:
        if restoring(self.registry.home(tenant.name)):
            raise ConflictError(f"tenant {tenant.name} is being restored: try again shortly")
        vault = open_tenant(
            self.registry, tenant, self._embedder, connections=self.store_connections
        )
        # index_path over HTTP reads no folder of this machine: a tenant's files come in
        # through notes and writes, never from the host's disk.
        vault.limit_indexing(IndexRoots.of([]))
        return vault

    def _opened(self, name: str) -> None:
        self.embedding.wake(name)  # jobs left queued by an earlier run

    def _lease_open(self, name: str) -> AbstractContextManager[Vault] | None:
        """A lease for the shared embedding; None once the tenant is removed (a dict lookup:
        this runs before every batch)."""
        try:
            return self.pool.lease(self.registry.get(name))
        except NotFoundError:
            return None

    def _reap(self) -> None:
        while not self._stop.wait(REAP_SECONDS):
            try:
                names = {tenant.name for tenant in self.registry.tenants()}
                for name in self.pool.close_idle(keep=names.__contains__):
                    log.info("closed tenant %s (idle or removed)", name)
                    if name not in names:
                        self.rate.forget(name)
            except Exception as exc:
                log.warning("closing idle tenants failed: %s", exc)
