"""Opening connections with the settings every memvault connection must have.

Why these settings (measured on this kind of machine, see MEASUREMENTS.md):
- WAL lets readers run while one writer commits; ``synchronous=NORMAL`` is durable against a
  killed process (only a power cut can lose the last commits) and avoids ~4 ms of fsync per write.
- ``busy_timeout`` makes SQLite wait for a lock instead of failing at once; on top of it every
  lock wait is retried here until a generous deadline, so "database is locked" never reaches a
  user: they get a clear ``StorageBusyError`` only if another process holds the lock for minutes.
- ``journal_size_limit`` shrinks the WAL file after it has been checkpointed.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import apsw

from memvault.core.errors import DiskFullError, InvalidInputError, StorageBusyError, StorageError
from memvault.storage.sqlite.keyword import matched_phrases

T = TypeVar("T")
Row = tuple[Any, ...]  # apsw rows; each query module knows its own columns

BUSY_TIMEOUT_MS = 5_000
LOCK_DEADLINE_S = 120.0
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def open_connection(path: Path, *, reader: bool) -> apsw.Connection:
    flags = apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
    try:
        conn = apsw.Connection(str(path), flags=flags)
    except apsw.CantOpenError as exc:
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    except UnicodeEncodeError as exc:  # SQLite takes UTF-8 file names only
        raise StorageError(f"cannot open database {str(path)!r}: its name is not UTF-8") from exc
    try:
        _configure(conn, path, reader=reader)
    except apsw.Error as exc:  # the first statement reads the file: full disk, read-only, damage
        error = translate(exc, path, conn)
        conn.close()
        raise error from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _configure(conn: apsw.Connection, path: Path, *, reader: bool) -> None:
    conn.set_busy_timeout(BUSY_TIMEOUT_MS)
    load_vector_extension(conn)
    if not reader:
        with_lock_retry(lambda: conn.execute("PRAGMA journal_mode=WAL").fetchall(), path)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA cache_size=-32768")  # 32 MiB: the pager overhead is measurable
    if reader:
        conn.execute("PRAGMA query_only=1")
    # Last: registering reads the file (FTS5's API), so a damaged or unreadable one is
    # reported by the statements above, with their clearer errors.
    conn.register_fts5_function("memvault_phrases", matched_phrases)


def vector_extension_path() -> str:
    """The sqlite-vec library file, found without importing the package (which pulls numpy)."""
    spec = importlib.util.find_spec("sqlite_vec")
    if spec is None or not spec.submodule_search_locations:
        raise StorageError("the sqlite-vec package is not installed; reinstall memvault")
    return str(Path(next(iter(spec.submodule_search_locations))) / "vec0")


def load_vector_extension(conn: apsw.Connection) -> None:
    conn.enable_load_extension(True)
    try:
        conn.load_extension(vector_extension_path())
    finally:
        conn.enable_load_extension(False)


def with_lock_retry(action: Callable[[], T], path: Path) -> T:
    """Run ``action``, retrying while the database is busy, up to ``LOCK_DEADLINE_S``."""
    deadline = time.monotonic() + LOCK_DEADLINE_S
    delay = 0.005
    while True:
        try:
            return action()
        except (apsw.BusyError, apsw.LockedError) as exc:
            if time.monotonic() >= deadline:
                raise StorageBusyError(
                    f"database {path} stayed locked by another process for "
                    f"{LOCK_DEADLINE_S:.0f} s; nothing was written"
                ) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)


def unstorable(exc: UnicodeEncodeError) -> InvalidInputError:
    """Text SQLite cannot take: a lone surrogate, which is what Python makes of undecodable
    bytes (a command-line argument, a JSON ``\\udcff``). It is the caller's input at fault, and
    nothing was written, so it is an input error, not a storage failure."""
    bad = exc.object[exc.start : exc.end]
    return InvalidInputError(f"text is not valid UTF-8: {bad!r} at character {exc.start}")


def translate(exc: apsw.Error, path: Path, conn: apsw.Connection | None = None) -> StorageError:
    """Turn an apsw error into a one-line StorageError a user can act on.

    SQLite reports a full disk as ``SQLITE_FULL`` when a page or the WAL cannot grow, but as a
    plain I/O error when its shared-memory file (``-shm``) cannot be made, and a read-only
    mount as "unable to open database file"; the connection's last system errno (``conn``),
    or else the file system the database is on, tells those apart.
    """
    failed = _failed_errno(exc, path, conn)
    if isinstance(exc, apsw.FullError) or failed in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"disk full while writing {path}; nothing from this write was kept"
            " (free some space and try again)"
        )
    if isinstance(exc, apsw.CorruptError | apsw.NotADBError):
        return StorageError(f"database {path} is damaged ({exc}); run `memvault check`")
    if isinstance(exc, apsw.ReadOnlyError | apsw.PermissionsError) or failed in (
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
    ):
        return StorageError(f"database {path} is read-only ({exc}); nothing was written")
    if isinstance(exc, apsw.BusyError | apsw.LockedError):
        return StorageBusyError(f"database {path} is busy: {exc}")
    return StorageError(f"database error on {path}: {exc}")


def _failed_errno(exc: apsw.Error, path: Path, conn: apsw.Connection | None) -> int:
    """ENOSPC or EROFS behind an I/O or open error of SQLite, if that is what it was."""
    if not isinstance(exc, apsw.IOError | apsw.CantOpenError | apsw.ReadOnlyError):
        return 0
    failed = conn.system_errno if conn is not None else 0
    if failed in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return failed
    try:  # e.g. ENOENT: the -shm could not be made on a read-only mount
        disk = os.statvfs(path.parent)
    except OSError:
        return failed
    if disk.f_flag & os.ST_RDONLY:
        return errno.EROFS
    if disk.f_bavail == 0:
        return errno.ENOSPC
    return failed
