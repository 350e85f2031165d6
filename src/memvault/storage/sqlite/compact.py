"""The compaction role of the SQLite engine: give the space of deleted rows back to the disk.

``VACUUM`` rewrites the file; in WAL mode it runs as one write transaction, so it may run while
other processes have the vault open: their readers keep their snapshot, their writers wait for
it (or it waits for them). It runs on a connection of its own, opened for it and nothing else,
so it can never meet the "cannot VACUUM from within a transaction" or "SQL statements in
progress" failures of a connection that is in use. A writer that holds the lock for longer than
the caller will wait is met with one clear refusal, and nothing is changed. The keyword index
is merged into one segment first (FTS5 ``optimize``), and the WAL is checkpointed and truncated
after, so the sizes reported are what the disk holds.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import apsw

from memvault.core.errors import StorageBusyError, StorageError
from memvault.core.repair_records import CompactReport
from memvault.storage.sqlite.checks import FTS_TABLE
from memvault.storage.sqlite.connection import BUSY_TIMEOUT_MS, open_connection, translate
from memvault.storage.sqlite.engine import SqliteEngine

_CHECKPOINT_WAIT_MS = 2_000


class SqliteCompact(SqliteEngine):
    def compact(self, *, wait_seconds: float = 60.0) -> CompactReport:
        started = time.monotonic()
        db_before, wal_before = _sizes(self._path)
        free = shutil.disk_usage(self._path.parent).free
        if free < db_before:  # the rewrite goes through a temp copy and the WAL
            raise StorageError(
                f"compacting {self._path} needs about {db_before:,} bytes free beside it; "
                f"{free:,} are: nothing was changed"
            )
        conn = open_connection(self._path, reader=False)
        try:
            conn.execute("PRAGMA temp_store=FILE")  # a big file's copy must not sit in memory
            self._vacuum(conn, wait_seconds)
            note = _truncate_wal(conn)
        except apsw.Error as exc:
            raise translate(exc, self._path) from exc
        finally:
            conn.close()
        db_after, wal_after = _sizes(self._path)
        return CompactReport(
            db_before, wal_before, db_after, wal_after, time.monotonic() - started, note
        )

    def _vacuum(self, conn: apsw.Connection, wait_seconds: float) -> None:
        deadline = time.monotonic() + wait_seconds
        conn.set_busy_timeout(int(min(wait_seconds, BUSY_TIMEOUT_MS / 1000) * 1000))
        while True:
            try:
                conn.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
                conn.execute("VACUUM")
                return
            except (apsw.BusyError, apsw.LockedError) as exc:
                if time.monotonic() >= deadline:
                    raise StorageBusyError(
                        f"{self._path} stayed locked by another process's write for "
                        f"{wait_seconds:.0f} s; nothing was compacted (try again, or pass "
                        "a longer --wait)"
                    ) from exc
                time.sleep(0.05)


def _truncate_wal(conn: apsw.Connection) -> str:
    """Copy the rewritten pages home and cut the WAL; a reader of another process on an older
    snapshot may keep it, which is said, not waited for."""
    conn.set_busy_timeout(_CHECKPOINT_WAIT_MS)
    try:
        conn.wal_checkpoint(mode=apsw.SQLITE_CHECKPOINT_TRUNCATE)
    except (apsw.BusyError, apsw.LockedError):
        return "another process is reading; the WAL shrinks at the next checkpoint"
    return ""


def _sizes(path: Path) -> tuple[int, int]:
    def size(file: str) -> int:
        try:
            return os.path.getsize(file)
        except OSError:
            return 0

    return size(str(path)), size(f"{path}-wal")
