"""Each tenant's scheduled backup, run by the hosted server's one thread.

A real ``memvault serve --tenants`` process with two scheduled tenants whose period was missed
backs both up at start, opening no more tenants at once than ``--max-open``; one walk in this
process shows which tenants a walk opens (the due ones, not every tenant every ten minutes)
and that one tenant's failed backup does not stop the others'.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from memvault.core.backup_records import BackupPeriod, BackupSchedule
from memvault.hosting.host import open_tenant
from memvault.hosting.pool import TenantPool
from memvault.hosting.registry import TenantRegistry
from memvault.hosting.schedule import TenantBackups
from memvault.service.backup import backups
from memvault.storage import database_in_use
from tests.hosting.tenant_cli import make_tenants, memvault
from tests.server.mcp_helpers import http_server

FACTS = {
    "acme": ["Acme ships on Tuesdays"],
    "globex": ["Globex deploys from the blue branch"],
    "initech": ["Initech has no schedule"],
}


def test_a_hosted_server_catches_up_each_tenants_missed_backup_within_its_bound(
    tmp_path: Path,
) -> None:
    root, dest = tmp_path / "tenants", tmp_path / "backups"
    make_tenants(root, FACTS)
    for name in ("acme", "globex"):  # as an operator sets a tenant's schedule: its home's CLI
        ran = memvault(
            "--home", str(root / name), "backup", str(dest / name), "--schedule", "daily",
            tenants=root,
        )  # fmt: skip
        assert ran.code == 0, ran.err
        registry = TenantRegistry(root)
        with open_tenant(registry, registry.get(name), "hash") as vault:  # last: 2 days ago
            assert vault.run_due_backup(now=datetime.now(UTC) - timedelta(days=2)) is not None
    assert [len(backups(dest / name)) for name in ("acme", "globex")] == [1, 1]

    databases = [root / name / "memvault.db" for name in FACTS]
    most_open = 0
    with http_server(None, "--tenants", str(root), "--max-open", "1", token=None):
        deadline = time.monotonic() + 60
        while any(len(backups(dest / name)) < 2 for name in ("acme", "globex")):
            assert time.monotonic() < deadline, "the missed backups did not appear in 60 s"
            most_open = max(most_open, sum(database_in_use(db) for db in databases))
            time.sleep(0.005)
        time.sleep(1)  # time for a second (wrong) backup to show up
    assert [len(backups(dest / name)) for name in ("acme", "globex")] == [2, 2]
    assert not (dest / "initech").exists()
    assert most_open <= 1  # one tenant at a time, within --max-open
    ran = memvault("--home", str(root / "acme"), "backup", "--due", tenants=root)
    assert ran.code == 0 and "nothing due" in ran.out


def test_a_walk_opens_only_the_tenants_with_something_to_do(tmp_path: Path) -> None:
    root, dest = tmp_path / "tenants", tmp_path / "backups"
    make_tenants(root, FACTS)
    registry = TenantRegistry(root)
    for name in ("acme", "globex"):
        with open_tenant(registry, registry.get(name), "hash") as vault:
            vault.schedule_backups(BackupSchedule(BackupPeriod.DAILY, str(dest / name)))
    pool = TenantPool(lambda tenant: open_tenant(registry, tenant, "hash"), max_open=2)
    walker = TenantBackups(registry, pool)
    day = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    try:
        first = walker.walk(day)
        assert first.looked == ("acme", "globex", "initech")  # all of them, the first time
        assert set(first.backed_up) == {"acme", "globex"} and not first.failed
        assert pool.open_names() == []  # what a walk opens it closes again

        assert walker.walk(day + timedelta(hours=3)).looked == ()  # nothing due, nothing opened

        with open_tenant(registry, registry.get("initech"), "hash") as vault:
            vault.schedule_backups(BackupSchedule(BackupPeriod.DAILY, str(dest / "initech")))
        (dest / "globex").rename(tmp_path / "globex-backups")
        (dest / "globex").write_text("a file where globex's backups should go")
        again = walker.walk(day + timedelta(hours=4))
        assert again.looked == ("initech",) and set(again.backed_up) == {"initech"}

        next_day = walker.walk(day + timedelta(days=1))
        assert next_day.looked == ("acme", "globex", "initech")
        assert set(next_day.backed_up) == {"acme", "initech"}
        assert "is a file" in next_day.failed["globex"]  # and the others were backed up
        retried = walker.walk(day + timedelta(days=1, hours=1))
        assert retried.looked == ("globex",) and "globex" in retried.failed
    finally:
        pool.close()
    assert [len(backups(dest / name)) for name in ("acme", "initech")] == [2, 2]
