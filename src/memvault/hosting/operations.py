"""What an operator does to one tenant: back it up, restore it, check it, export it.

A tenant is an ordinary home, so each of these opens it (:func:`~.host.open_tenant`) and calls
the Vault method ``memvault --home DIR/NAME …`` calls: there is no second backup, restore,
check or export here, only where a tenant's files go (its backups under ``DEST/NAME/``, its
export in ``OUT/NAME.jsonl``) and what keeps a restore from racing a server.

A restore replaces the tenant's database, so it must not run while a process has the tenant
open (refused, in one line), and a hosted server must not open the tenant while it runs (see
:mod:`.restore_guard`).
"""

from __future__ import annotations

import os
from pathlib import Path

from memvault.core.backup_records import BackupReport, RestoreReport
from memvault.core.errors import ConflictError
from memvault.core.home import database_path
from memvault.core.records import CheckReport
from memvault.embedding.base import Embedder
from memvault.hosting.host import open_tenant
from memvault.hosting.registry import Tenant, TenantRegistry
from memvault.hosting.restore_guard import restore_guard
from memvault.importers.export import ExportCounts, Exporter
from memvault.service.backup_retention import Retention
from memvault.service.restore import restore_backup
from memvault.storage import database_in_use

PARTIAL = ".partial"


def backup_tenant(
    registry: TenantRegistry,
    tenant: Tenant,
    dest: Path,
    *,
    compress: bool = False,
    retention: Retention | None = None,
) -> BackupReport:
    """An online backup of the tenant into ``dest/NAME/`` (writers, a server, may run)."""
    with open_tenant(registry, tenant) as vault:
        return vault.backup(dest / tenant.name, compress=compress, retention=retention)


def check_tenant(
    registry: TenantRegistry, tenant: Tenant, embedder: str | Embedder | None = None
) -> CheckReport:
    """Every check of ``memvault check`` on the tenant's home."""
    with open_tenant(registry, tenant, embedder) as vault:
        return vault.check()


def export_tenant(
    registry: TenantRegistry, tenant: Tenant, out: Path, *, vectors: bool = False
) -> ExportCounts:
    """The tenant as JSONL in ``out`` (written beside it, then renamed: a file named ``out`` is
    a whole export)."""
    partial = out.with_name(out.name + PARTIAL)
    try:
        with open_tenant(registry, tenant) as vault, partial.open("w", encoding="utf-8") as handle:
            counts = Exporter(vault).jsonl(handle, vectors=vectors)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return counts


def restore_tenant(
    registry: TenantRegistry, tenant: Tenant, backup: Path, *, force: bool = False
) -> RestoreReport:
    """Restore ``backup`` into the tenant's home; refused while any process has it open."""
    home = registry.home(tenant.name)
    home.mkdir(parents=True, exist_ok=True)
    with restore_guard(home, tenant.name):
        if database_in_use(database_path(home)):
            raise ConflictError(
                f"tenant {tenant.name} is open in a server or another process: nothing was "
                "restored; a server closes it after --idle-seconds unused (revoke its tokens "
                "first so no request opens it again), or stop that process"
            )
        return restore_backup(backup, home, force=force)
