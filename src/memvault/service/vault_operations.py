"""The part of :class:`~memvault.service.vault.Vault` that keeps a vault sound and small:
check, repair, compact. A mixin only to keep ``vault.py`` readable (see :mod:`.repair`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from memvault.core.records import CheckReport
from memvault.core.repair_records import CompactReport, RepairReport
from memvault.service.repair import Repairer, check_vault

if TYPE_CHECKING:
    from memvault.folder.markdown_folder import MarkdownFolder
    from memvault.service.embeddings import Embeddings
    from memvault.storage.roles import Store


class VaultOperations:
    if TYPE_CHECKING:
        _store: Store
        _embeddings: Embeddings
        _folder: MarkdownFolder | None

    def check(self) -> CheckReport:
        """Every named check, with counts: the file, its indexes, the model, the folder."""
        return check_vault(self._store, self._embeddings, self._folder)

    def repair(self, *, dry_run: bool = False) -> RepairReport:
        """Rebuild what is derived, without losing a memory, note or validation; says what it
        did (``dry_run``: what it would do)."""
        return Repairer(self._store, self._embeddings, self._folder).repair(dry_run=dry_run)

    def compact(self, *, wait_seconds: float = 60.0) -> CompactReport:
        """Checkpoint and VACUUM while other processes may hold the vault; sizes before and
        after. A writer holding the file longer than ``wait_seconds`` is a StorageBusyError."""
        report = self._store.compact(wait_seconds=wait_seconds)
        logging.getLogger("memvault.compact").info("compacted: %s", report.to_dict())
        return report
