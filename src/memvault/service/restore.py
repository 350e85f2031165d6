"""Restoring a home from a backup, without ever writing over a vault that is in use.

The backup is verified first (every checksum, the database's integrity), so a damaged backup
changes nothing. A home whose database another process has open is refused, with ``--force``
too: a copy over a live file is what damaged a peer's users' databases. With ``--force`` the
home's present files are not deleted but set aside in ``HOME/.before-restore-<time>/``, so a
restore over the wrong home can be undone by hand. The restored database is renamed into place
in one step, and the vault is then opened once, which finishes any write the snapshot caught
half-way (its marks are in the copy) and shows that the result opens.
"""

from __future__ import annotations

import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from memvault.core.backup_records import RestoreReport
from memvault.core.errors import ConflictError, InvalidInputError
from memvault.core.home import DB_FILE_NAME, FOLDER_NAME, database_path, folder_path
from memvault.service.backup import opened, verify_backup_root
from memvault.service.opening import open_vault
from memvault.storage import database_files, database_in_use, install_database

log = logging.getLogger("memvault.backup")


def restore_backup(backup: Path, home: Path, *, force: bool = False) -> RestoreReport:
    """Restore the backup at ``backup`` into ``home`` (a home folder, or a ``.db`` file for a
    DB-only backup)."""
    with opened(backup) as root:
        manifest = verify_backup_root(root)
        db = database_path(home)
        folder = folder_path(home)
        if manifest.mode == "vault" and folder is None:
            raise InvalidInputError(
                f"{backup.name} is a backup of a home with a Markdown folder: restore it to a "
                f"home folder, not the database file {home}"
            )
        if db.is_file() and not _is_sqlite(db):
            raise InvalidInputError(f"{db} is not a memvault database: nothing was restored")
        if database_in_use(db):
            raise ConflictError(
                f"{db} is open in another process (a server, a watch, a worker): stop it first"
            )
        present = [p for p in _home_files(db, folder) if p.exists() or p.is_symlink()]
        if present and not force:
            raise ConflictError(
                f"{home} holds a vault already; pass --force to replace it (its files are set "
                "aside, not deleted)"
            )
        aside = _set_aside(db, present) if present else None
        db.parent.mkdir(parents=True, exist_ok=True)
        incoming = db.with_name(f".{db.name}.restoring")
        shutil.copyfile(root / DB_FILE_NAME, incoming)
        with open(incoming, "rb") as handle:
            os.fsync(handle.fileno())
        install_database(incoming, db)
        if manifest.mode == "vault" and folder is not None:
            shutil.copytree(root / FOLDER_NAME, folder, symlinks=True)
    with open_vault(home, background=False) as vault:  # finishes writes the snapshot caught
        if vault.folder is not None:
            # An archive keeps file times to the second only: the files are the same, their
            # times are not, and a sync that finds the same text just records the new times.
            vault.sync()
        check = vault.check()
    log.warning(
        "restored %s from %s (taken %s)%s",
        home,
        backup,
        manifest.created_at,
        f"; the files that were there are in {aside}" if aside else "",
    )
    return RestoreReport(
        backup=str(backup),
        home=str(home),
        created_at=manifest.created_at,
        counts=dict(manifest.counts),
        set_aside=None if aside is None else str(aside),
        check_ok=check.ok,
        problems=tuple(f"{c.name}: {c.detail}" for c in check.checks if not c.ok),
    )


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def _home_files(db: Path, folder: Path | None) -> list[Path]:
    files = database_files(db)
    return [*files, folder] if folder is not None else files


def _set_aside(db: Path, present: list[Path]) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = db.parent / f".before-restore-{stamp}"
    aside.mkdir()
    for path in present:
        os.replace(path, aside / path.name)
    return aside
