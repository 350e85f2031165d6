"""Each tenant's scheduled backup, run by one thread of the hosted server.

A tenant's schedule is the one any home has (``memvault --home DIR/NAME backup DEST --schedule
daily`` records it in the tenant's vault), and running it is the vault's own
:meth:`~memvault.service.vault.Vault.run_due_backup`, which claims the period by
compare-and-set: a period is backed up once, however many processes ask. What a single server
alone adds: a vault on its own runs a timer thread while it is open (``memvault serve``);
500 tenants must not mean 500 timers, nor 500 vaults opened every ten minutes to ask. So one
thread walks the tenants, once at start (a period missed while the server was down is backed
up then) and every ``interval`` seconds, one tenant at a time, each through the pool's
:meth:`~.pool.TenantPool.visit` (within the pool's bound; a tenant it opened is closed again).

Which tenants it opens: one it has not looked at yet; one open already (a look costs nothing);
one whose schedule's period has turned since its last look; and one whose database file
changed since (a schedule set or changed by the CLI: a write to the file). The rest, a
tenant with no schedule whose file did not change, or with this period done, it leaves shut:
after the first walk, an idle tenant costs one ``stat`` a walk.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from memvault.core.backup_records import BackupSchedule
from memvault.core.home import DB_FILE_NAME
from memvault.hosting.pool import TenantPool
from memvault.hosting.registry import Tenant, TenantRegistry
from memvault.service.backup_schedule import CHECK_EVERY_S

log = logging.getLogger(__name__)

Stamp = tuple[int, int] | None  # the database file's (mtime_ns, size); None: not there


@dataclass(frozen=True, slots=True)
class _Look:
    """What the last look at a tenant found."""

    stamp: Stamp  # the database file then
    schedule: BackupSchedule | None
    period: str | None  # the schedule's period then (claimed: backed up, by us or another)


@dataclass(frozen=True, slots=True)
class BackupWalk:
    """One walk over the tenants: whom it looked at, whose backup it made, who failed."""

    looked: tuple[str, ...]
    backed_up: dict[str, str]  # tenant → the backup's path
    failed: dict[str, str]  # tenant → why


class TenantBackups:
    def __init__(
        self,
        registry: TenantRegistry,
        pool: TenantPool,
        *,
        interval: float = CHECK_EVERY_S,
    ) -> None:
        self._registry = registry
        self._pool = pool
        self._interval = interval
        self._looks: dict[str, _Look] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="memvault-tenant-backups", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=120)  # a backup under way finishes first

    def walk(self, now: datetime | None = None) -> BackupWalk:
        """Run every due backup, one tenant at a time; a tenant's failure is logged and the
        walk goes on (its next walk tries again)."""
        at = now or datetime.now(UTC)
        tenants = self._registry.tenants()
        self._looks = {n: look for n, look in self._looks.items() if n in {t.name for t in tenants}}
        open_now = set(self._pool.open_names())
        looked: list[str] = []
        backed_up: dict[str, str] = {}
        failed: dict[str, str] = {}
        for tenant in tenants:
            if self._stop.is_set():
                break
            if tenant.name not in open_now and not self._worth_a_look(tenant.name, at):
                continue
            looked.append(tenant.name)
            try:
                path = self._look(tenant, at)
            except Exception as exc:  # one tenant's failure must not stop the others' backups
                self._looks.pop(tenant.name, None)
                failed[tenant.name] = str(exc)
                log.warning("scheduled backup of tenant %s failed: %s", tenant.name, exc)
                continue
            if path is not None:
                backed_up[tenant.name] = path
                log.info("scheduled backup of tenant %s: %s", tenant.name, path)
        return BackupWalk(tuple(looked), backed_up, failed)

    # --- inside -----------------------------------------------------------------------------
    def _worth_a_look(self, name: str, at: datetime) -> bool:
        look = self._looks.get(name)
        if look is None or look.stamp != self._stamp(name):
            return True
        return look.schedule is not None and look.schedule.period_of(at) != look.period

    def _look(self, tenant: Tenant, at: datetime) -> str | None:
        with self._pool.visit(tenant) as vault:
            schedule = vault.backup_schedule()
            report = vault.run_due_backup(now=at) if schedule is not None else None
        period = None if schedule is None else schedule.period_of(at)
        self._looks[tenant.name] = _Look(self._stamp(tenant.name), schedule, period)
        return None if report is None else report.path

    def _stamp(self, name: str) -> Stamp:
        try:
            stat = (self._registry.home(name) / DB_FILE_NAME).stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.walk()
            except Exception as exc:  # the registry unreadable for a moment: the next walk
                log.warning("the walk of scheduled backups failed: %s", exc)
            if self._stop.wait(self._interval):
                return
