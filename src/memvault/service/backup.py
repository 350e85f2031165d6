"""Backups of a live vault, their verification, retention and restore.

A backup is a folder ``DEST/memvault-<UTC time>/`` (or that folder as one ``.tar.gz``) holding
``memvault.db`` (an online copy from one snapshot, see :mod:`memvault.storage`), the Markdown
folder as ``vault/`` in vault mode, and ``manifest.json`` listing every file with its size and
SHA-256. It is built under a ``.partial`` name, its database copy passes ``integrity_check``,
and only then is it renamed: a backup that exists under its final name is complete.

Consistency of the two halves: every change to a vault file and its index rows happens under
the folder lock, so the lock is held while the database snapshot is fixed and the folder is
copied; writes wait for that long (the database copy itself runs after the lock is released,
from the snapshot, while writers carry on).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

from memvault.core.backup_records import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    BackupFile,
    BackupManifest,
    BackupReport,
)
from memvault.core.errors import InvalidInputError
from memvault.core.home import DB_FILE_NAME, FOLDER_NAME
from memvault.core.version import VERSION
from memvault.folder.lock import LOCK_NAME
from memvault.folder.markdown_folder import MarkdownFolder
from memvault.service.backup_retention import Retention, kept
from memvault.storage import database_file_problems
from memvault.storage.roles import Store

log = logging.getLogger("memvault.backup")

PREFIX = "memvault-"
PARTIAL = ".partial"
ARCHIVE = ".tar.gz"
_NAME = re.compile(r"memvault-(\d{8}T\d{6}Z)(?:-(\d+))?(?:\.tar\.gz)?")
Progress = Callable[[int, int], None]


def make_backup(
    store: Store,
    folder: MarkdownFolder | None,
    dest: Path,
    *,
    compress: bool = False,
    retention: Retention | None = None,
    progress: Progress | None = None,
) -> BackupReport:
    """Back the vault up into a new entry of ``dest``; then prune ``dest`` by ``retention``."""
    started = time.monotonic()
    if dest.exists() and not dest.is_dir():
        raise InvalidInputError(f"backup destination {dest} is a file, not a folder")
    dest.mkdir(parents=True, exist_ok=True)
    at = datetime.now(UTC).replace(microsecond=0)
    name = _free_name(dest, at)
    work = dest / f"{name}{PARTIAL}"
    work.mkdir()
    try:
        lock = folder.lock.held() if folder is not None else nullcontext()
        with lock:

            def copy_folder() -> None:
                if folder is not None:
                    _copy_tree(folder.root, work / FOLDER_NAME)

            stats = store.backup(work / DB_FILE_NAME, progress=progress, pinned=copy_folder)
        problems = database_file_problems(work / DB_FILE_NAME)
        if problems:
            raise InvalidInputError(f"the backup copy failed its integrity check: {problems[0]}")
        manifest = BackupManifest(
            created_at=at.isoformat().replace("+00:00", "Z"),
            memvault_version=VERSION,
            schema_version=stats.schema_version,
            mode="vault" if folder is not None else "db-only",
            counts={
                "memories": stats.memories,
                "notes": stats.notes,
                "sessions": stats.sessions,
                "edges": stats.edges,
            },
            files=tuple(_listing(work)),
        )
        (work / MANIFEST_NAME).write_text(json.dumps(manifest.to_dict(), indent=2) + "\n")
        final = _finish(work, dest / name, compress)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        Path(f"{dest / name}{ARCHIVE}{PARTIAL}").unlink(missing_ok=True)
        raise
    pruned = prune(dest, retention) if retention is not None else []
    log.info(
        "backup %s: %s; %d bytes in %.1f s%s",
        final,
        ", ".join(f"{n} {what}" for what, n in manifest.counts.items()),
        manifest.total_bytes,
        time.monotonic() - started,
        f"; pruned {', '.join(pruned)}" if pruned else "",
    )
    return BackupReport(str(final), manifest, time.monotonic() - started, tuple(pruned))


def verify_backup(path: Path) -> BackupManifest:
    """The manifest of the backup at ``path`` once every file matches it; else an error."""
    with opened(path) as root:
        return verify_backup_root(root)


@contextmanager
def opened(path: Path) -> Iterator[Path]:
    """The backup's root folder: ``path`` itself, or an archive unpacked to a temporary one."""
    if path.is_dir():
        yield path
        return
    if not path.is_file() or not path.name.endswith(ARCHIVE):
        raise InvalidInputError(f"{path} is not a memvault backup (a folder or a .tar.gz)")
    with tempfile.TemporaryDirectory(prefix=".memvault-restore-", dir=path.parent) as tmp:
        try:
            with tarfile.open(path, "r:gz") as archive:
                archive.extractall(tmp, filter="data")  # refuses links and paths leaving tmp
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise InvalidInputError(f"{path} is not a readable backup archive: {exc}") from exc
        entries = list(Path(tmp).iterdir())
        if len(entries) != 1 or not entries[0].is_dir():
            raise InvalidInputError(f"{path} does not hold one backup folder")
        yield entries[0]


def verify_backup_root(root: Path) -> BackupManifest:
    try:
        manifest = BackupManifest.from_dict(json.loads((root / MANIFEST_NAME).read_text()))
    except FileNotFoundError:
        raise InvalidInputError(f"{root} has no {MANIFEST_NAME}: not a finished backup") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"{root / MANIFEST_NAME} is damaged: {exc}") from exc
    if manifest.format > MANIFEST_FORMAT:
        made_by = manifest.memvault_version
        raise InvalidInputError(f"{root} was made by a newer memvault ({made_by})")
    listed = {f.path: f for f in manifest.files}
    present = {f.path: f for f in _listing(root)}
    for relative, expected in sorted(listed.items()):
        found = present.get(relative)
        if found is None:
            raise InvalidInputError(f"backup {root.name} is missing {relative}")
        if found != expected:
            raise InvalidInputError(f"backup {root.name}: {relative} does not match its checksum")
    extra = sorted(set(present) - set(listed))
    if extra:
        raise InvalidInputError(f"backup {root.name} holds a file it does not list: {extra[0]}")
    problems = database_file_problems(root / DB_FILE_NAME)
    if problems:
        raise InvalidInputError(f"backup {root.name}: the database is damaged: {problems[0]}")
    return manifest


def backups(dest: Path) -> list[tuple[str, datetime]]:
    """The finished backups in ``dest`` (names and snapshot times), partial ones left out."""
    found = []
    for entry in dest.iterdir() if dest.is_dir() else []:
        match = _NAME.fullmatch(entry.name)
        if match:
            at = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            # backups of one second are told apart by their -N suffix, in the order made
            found.append((entry.name, at + timedelta(microseconds=int(match.group(2) or 0))))
    return sorted(found, key=lambda item: item[1])


def prune(dest: Path, retention: Retention) -> list[str]:
    """Delete the backups of ``dest`` that ``retention`` does not keep; returns their names."""
    present = backups(dest)
    keep = kept(present, retention)
    gone = [name for name, _ in present if name not in keep]
    for name in gone:
        target = dest / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    return gone


def _free_name(dest: Path, at: datetime) -> str:
    base = f"{PREFIX}{at.strftime('%Y%m%dT%H%M%SZ')}"
    name, n = base, 0
    while any((dest / f"{name}{ending}").exists() for ending in ("", ARCHIVE, PARTIAL)):
        n += 1
        name = f"{base}-{n}"
    return name


def _copy_tree(source: Path, target: Path) -> None:
    """The Markdown folder as it is, links kept as links (never followed), the lock left out."""
    shutil.copytree(
        source, target, symlinks=True, ignore=shutil.ignore_patterns(LOCK_NAME, "*.tmp-*")
    )


def _listing(root: Path) -> Iterator[BackupFile]:
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.name == MANIFEST_NAME:
            continue
        yield BackupFile(path.relative_to(root).as_posix(), path.stat().st_size, _sha256(path))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _finish(work: Path, final: Path, compress: bool) -> Path:
    if not compress:
        os.replace(work, final)
        return final
    archive = Path(f"{final}{ARCHIVE}")
    partial = Path(f"{archive}{PARTIAL}")
    with tarfile.open(partial, "w:gz") as out:
        out.add(work, arcname=final.name)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, archive)
    shutil.rmtree(work)
    return archive
