"""Hosting many tenants in one server: each tenant a home of its own under one folder.

A tenant is an ordinary memvault home (``DIR/<name>/memvault.db`` and, unless it is DB-only,
``DIR/<name>/vault/``), so every command that takes ``--home`` works on one tenant, and backing
a tenant up is backing up a home. A tenant may keep its index on PostgreSQL instead, in a
schema of its own (:mod:`.stores`), its home keeping the Markdown folder. What this layer adds
is who a request belongs to (a token, stored only as a keyed hash, in :mod:`.registry`), how
many vaults stay open (:mod:`.pool`, an LRU with leases), what a tenant may use
(:mod:`.quota`), one embedding worker pool shared fairly by every open tenant
(:mod:`.embedding`), one thread for every tenant's scheduled backup (:mod:`.schedule`), and the
operator's per-tenant backup, restore, check and export (:mod:`.operations`).
"""

from memvault.hosting.pool import TenantPool
from memvault.hosting.quota import Quota, QuotaExceededError
from memvault.hosting.registry import Tenant, TenantRegistry

__all__ = ["Quota", "QuotaExceededError", "Tenant", "TenantPool", "TenantRegistry"]
