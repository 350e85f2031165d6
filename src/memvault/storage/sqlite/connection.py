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

import importlib.util
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import apsw

from memvault.core.errors import InvalidInputError, StorageBusyError, StorageError

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
    return conn


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


def translate(exc: apsw.Error, path: Path) -> StorageError:
    """Turn an apsw error into a one-line StorageError a user can act on."""
    if isinstance(exc, apsw.FullError):
        return StorageError(f"disk full while writing {path}; nothing from this write was kept")
    if isinstance(exc, apsw.CorruptError | apsw.NotADBError):
        return StorageError(f"database {path} is damaged ({exc}); run `memvault check`")
    if isinstance(exc, apsw.ReadOnlyError | apsw.PermissionsError):
        return StorageError(f"database {path} is read-only: {exc}")
    if isinstance(exc, apsw.BusyError | apsw.LockedError):
        return StorageBusyError(f"database {path} is busy: {exc}")
    return StorageError(f"database error on {path}: {exc}")
