"""A SQLite database as a file on disk: is another process using it, is a copy sound, and
putting a restored copy in place.

These are for files no connection of this process holds (a backup, a home being restored).
Restoring by copying over a file that a live process has open damages it (the process keeps
writing pages and a ``-wal`` that belong to the old file), so ``install`` refuses while any
process has the database open, and removes the old file's ``-wal``/``-shm`` before the copy
takes its place.

Whether a process has the file open is read from SQLite's own lock: every connection to a WAL
database holds a shared POSIX lock on the "dead man switch" byte of the ``-shm`` file (byte
128: the 8 WAL-index lock bytes start at 120) for as long as it is open. If an exclusive lock on
that byte can be taken, nobody else has the database open.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
from collections.abc import Callable
from pathlib import Path

import apsw

from memvault.core.errors import ConflictError, StorageError

_DMS_BYTE = 128
COMPANIONS = ("-wal", "-shm", "-journal")


def in_use(path: Path) -> bool:
    """Whether a process (other than this one) has the database at ``path`` open."""
    shm = Path(f"{path}-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False  # no WAL index: no connection has it open in WAL mode
    try:
        wanted = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, _DMS_BYTE, 1, 0)
        holder = fcntl.fcntl(fd, fcntl.F_GETLK, wanted)  # who would block it; F_UNLCK: nobody
        return bool(struct.unpack("hhqqi", holder)[0] != fcntl.F_UNLCK)
    finally:
        os.close(fd)


def problems(path: Path) -> list[str]:
    """What SQLite's ``integrity_check`` finds in the database file at ``path`` (empty: sound)."""
    try:
        conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    except apsw.Error as exc:
        return [f"cannot open {path.name}: {exc}"]
    try:
        found = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    except apsw.Error as exc:
        return [f"{path.name}: {exc}"]
    finally:
        conn.close()
    return [] if found == ["ok"] else found


def install(copy: Path, path: Path) -> None:
    """Put the database file ``copy`` at ``path`` in one rename, replacing what is there."""
    if in_use(path):
        raise ConflictError(
            f"{path} is open in another process (a server, a watch, a worker): stop it first"
        )
    if copy.resolve().parent != path.resolve().parent:
        raise StorageError(f"{copy} must sit beside {path} to be renamed into place")
    for suffix in COMPANIONS:  # the old file's, would be applied to the new one
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")
    os.replace(copy, path)


def copy_pages(
    source: apsw.Connection,
    target: Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    step_pages: int = 1024,
) -> None:
    """Copy the database of ``source`` into the new file ``target`` with SQLite's backup API
    (in its read transaction, if it has one open: then every page is of one snapshot), as one
    self-contained file (journal mode DELETE); ``progress(done, total)`` after each step of
    ``step_pages`` pages (4 MiB at the default page size)."""
    try:
        destination = apsw.Connection(str(target))
    except UnicodeEncodeError as exc:  # SQLite takes UTF-8 file names only
        raise StorageError(
            f"cannot write a backup to {str(target)!r}: its name is not UTF-8"
        ) from exc
    try:
        with destination.backup("main", source, "main") as step:
            while not step.done:
                step.step(step_pages)
                if progress is not None:
                    progress(step.page_count - step.remaining, step.page_count)
        destination.execute("PRAGMA journal_mode=DELETE").fetchall()  # one self-contained file
    finally:
        destination.close()
