"""The plumbing every role of the SQLite engine shares: connections and transactions.

Reads run on a connection per thread, each inside a short read transaction so that a multi-step
read sees one snapshot. Writes never run on the caller's thread: they are handed to the process's
single :class:`~memvault.storage.sqlite.writer.Writer`, which commits them with
``BEGIN IMMEDIATE``. The role classes (memories, search, graph, queue, files, imports, health)
build on this one and keep their SQL to themselves; ``SqliteStore`` puts them together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import apsw

from memvault.core.entity_records import EntityKind
from memvault.core.errors import StorageError
from memvault.storage.entity_links import ALL_KINDS
from memvault.storage.sqlite.connection import (
    open_connection,
    translate,
    unstorable,
    with_lock_retry,
)
from memvault.storage.sqlite.migrations import migrate
from memvault.storage.sqlite.writer import Writer

if TYPE_CHECKING:
    from memvault.storage.sqlite.vector_index import VectorIndex

T = TypeVar("T")
# Files beside the database that belong to it: SQLite's WAL and shared memory, and the
# disposable snapshot of the vector index.
COMPANION_SUFFIXES = ("-wal", "-shm", ".vindex")


class SqliteEngine:
    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create folder for database {self._path}: {exc}") from exc
        conn = open_connection(self._path, reader=False)
        try:
            migrate(conn, self._path)
        except apsw.Error as exc:
            conn.close()
            raise translate(exc, self._path, conn) from exc
        except BaseException:
            conn.close()
            raise
        self._writer = Writer(conn, self._path)
        self._write_conn = conn
        self._local = threading.local()
        self._readers: list[apsw.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        self._index_snapshot_path = self._path.with_name(self._path.name + ".vindex")
        self._vector_index: VectorIndex | None = None
        self._vector_index_lock = threading.Lock()
        self.entity_kinds: frozenset[EntityKind] = ALL_KINDS  # set by the vault on open

    @property
    def _index(self) -> VectorIndex:
        """The in-process vector index, made on first use: it brings numpy, which a process
        that never searches by vector (a CLI keyword search, ``--help``) need not load."""
        if self._vector_index is None:
            from memvault.storage.sqlite.vector_index import VectorIndex

            with self._vector_index_lock:
                if self._vector_index is None:
                    self._vector_index = VectorIndex(snapshot=self._index_snapshot_path)
        return self._vector_index

    @property
    def location(self) -> str:
        return str(self._path)

    def local_files(self) -> list[Path]:
        return [self._path, *(Path(f"{self._path}{suffix}") for suffix in COMPANION_SUFFIXES)]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._write_conn.close()

    # --- settings ---------------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        row = self._read(
            lambda conn: conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        )
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        self._write(
            lambda conn: conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        )

    def swap_setting(self, key: str, expected: str | None, value: str | None) -> bool:
        def swap(conn: apsw.Connection) -> bool:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            if (None if row is None else str(row[0])) != expected:
                return False
            if value is None:
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO settings(key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
            return True

        return self._write(swap)

    # --- transactions -----------------------------------------------------------------------
    def _reader(self) -> apsw.Connection:
        conn: apsw.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StorageError(f"database {self._path} is closed")
            conn = open_connection(self._path, reader=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _read(self, job: Callable[[apsw.Connection], T]) -> T:
        conn = self._reader()

        def attempt() -> T:
            conn.execute("BEGIN")
            try:
                return job(conn)
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

        try:
            return with_lock_retry(attempt, self._path)
        except apsw.Error as exc:
            raise translate(exc, self._path, conn) from exc
        except UnicodeEncodeError as exc:
            raise unstorable(exc) from exc

    def _write(self, job: Callable[[apsw.Connection], T]) -> T:
        return self._writer.run(job)
