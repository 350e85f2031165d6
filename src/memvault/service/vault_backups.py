"""The part of :class:`~memvault.service.vault.Vault` about backups: made now, or on a schedule.

A mixin only to keep ``vault.py`` readable; it uses the vault's store and Markdown folder.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from memvault.core.backup_records import BackupReport, BackupSchedule
from memvault.service import backup_schedule as schedules
from memvault.service.backup import make_backup
from memvault.service.backup_retention import Retention
from memvault.service.backup_schedule import BackupTimer

if TYPE_CHECKING:
    from memvault.folder.markdown_folder import MarkdownFolder
    from memvault.storage.roles import Store


class VaultBackups:
    if TYPE_CHECKING:
        _store: Store
        _folder: MarkdownFolder | None

    def backup(
        self,
        dest: Path,
        *,
        compress: bool = False,
        retention: Retention | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> BackupReport:
        """An online, verified backup into a new entry of ``dest`` (see :mod:`.backup`)."""
        return make_backup(
            self._store,
            self._folder,
            dest,
            compress=compress,
            retention=retention,
            progress=progress,
        )

    def copy_database(self, target: Path) -> None:
        """The whole database, from one snapshot, into the new file ``target``: a shadow to try
        a change on (``memvault reembed --dry-run``) while this vault stays as it is."""
        self._store.backup(target)

    def backup_schedule(self) -> BackupSchedule | None:
        return schedules.load_schedule(self._store)

    def schedule_backups(self, schedule: BackupSchedule | None) -> None:
        """Back up on this schedule from now on (None: stop); see
        :mod:`memvault.service.backup_schedule`."""
        schedules.save_schedule(self._store, schedule)

    def run_due_backup(self, *, now: datetime | None = None) -> BackupReport | None:
        """The scheduled backup of this period, unless a process has made it already."""
        return schedules.run_due(self._store, self._folder, now=now)

    def last_scheduled_backup(self) -> dict[str, str] | None:
        return schedules.last_outcome(self._store)

    def backup_timer(self) -> BackupTimer:
        """A thread that runs due backups while this vault is open (``memvault serve``)."""
        return BackupTimer(self._store, self._folder)
