"""Backups on a schedule that catch up: a period missed while the machine was off is backed up
once, at the next start, and never twice, however many servers share the vault.

There is no daemon of our own to miss its runs (the field report's backup job did, with the
laptop off at 03:00). The schedule lives in the vault; whoever opens it for long (``memvault
serve``) or on a timer (``memvault backup --due`` from cron ``@reboot``, a systemd timer)
asks "is this period's backup done?" and claims the period in one compare-and-set on the
vault's settings before backing up: of several processes asking at once, exactly one wins. A
backup that fails gives its claim back, so the next start tries again.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

from memvault.core.backup_records import BackupReport, BackupSchedule
from memvault.core.errors import InvalidInputError
from memvault.folder.markdown_folder import MarkdownFolder
from memvault.service.backup import make_backup
from memvault.service.backup_retention import Retention
from memvault.storage.roles import Store

SCHEDULE_KEY = "backup.schedule"
CLAIM_KEY = "backup.period"  # the last period a process claimed (and backed up, or is backing up)
LAST_KEY = "backup.last"  # the last scheduled backup's outcome, for people
CHECK_EVERY_S = 600.0  # a long-running server looks again this often

log = logging.getLogger("memvault.backup")


def load_schedule(store: Store) -> BackupSchedule | None:
    raw = store.get_setting(SCHEDULE_KEY)
    if raw is None:
        return None
    try:
        return BackupSchedule.from_dict(json.loads(raw))
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(
            f"the vault's backup schedule is damaged ({exc}): set it again"
        ) from exc


def save_schedule(store: Store, schedule: BackupSchedule | None) -> None:
    """Record ``schedule`` (None: no scheduled backups)."""
    if schedule is None:
        store.swap_setting(SCHEDULE_KEY, store.get_setting(SCHEDULE_KEY), None)
        return
    Retention(schedule.keep_last, schedule.keep_daily, schedule.keep_weekly, schedule.keep_monthly)
    store.set_setting(SCHEDULE_KEY, json.dumps(schedule.to_dict()))


def last_outcome(store: Store) -> dict[str, str] | None:
    raw = store.get_setting(LAST_KEY)
    return None if raw is None else dict(json.loads(raw))


def run_due(
    store: Store, folder: MarkdownFolder | None, *, now: datetime | None = None
) -> BackupReport | None:
    """This period's scheduled backup, if no process has made it yet; None if not due."""
    schedule = load_schedule(store)
    if schedule is None:
        return None
    period = schedule.period_of(now or datetime.now(UTC))
    claimed = store.get_setting(CLAIM_KEY)
    if claimed == period or not store.swap_setting(CLAIM_KEY, claimed, period):
        return None  # done already, or another process just claimed it
    rule = Retention(
        schedule.keep_last, schedule.keep_daily, schedule.keep_weekly, schedule.keep_monthly
    )
    try:
        report = make_backup(
            store, folder, Path(schedule.dest), compress=schedule.compress, retention=rule
        )
    except Exception as exc:
        store.swap_setting(CLAIM_KEY, period, claimed)  # the next start tries again
        _record(store, period, error=str(exc))
        raise
    _record(store, period, path=report.path)
    return report


def _record(store: Store, period: str, **outcome: str) -> None:
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    store.set_setting(LAST_KEY, json.dumps({"period": period, "at": at, **outcome}))


class BackupTimer:
    """Runs the due backup in a thread: once at start, then every ``interval`` seconds, so a
    server that stays up for weeks still backs up each period. Errors are logged, not raised:
    a failed backup must not take the server down with it."""

    def __init__(
        self, store: Store, folder: MarkdownFolder | None, *, interval: float = CHECK_EVERY_S
    ) -> None:
        self._store = store
        self._folder = folder
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memvault-backup", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while True:
            try:
                report = run_due(self._store, self._folder)
                if report is not None:
                    log.info("scheduled backup: %s", report.path)
            except Exception as exc:  # logged; the next look tries again
                log.warning("scheduled backup failed: %s", exc)
            if self._stop.wait(self._interval):
                return
