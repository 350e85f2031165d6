"""The plumbing every role of the PostgreSQL engine shares: the pool and its transactions.

Unlike SQLite, PostgreSQL takes writes from many connections at once, so there is no writer
thread: each unit of work borrows a pooled connection and runs in one transaction. Reads run
``REPEATABLE READ READ ONLY``, so a multi-step read sees one snapshot, as SQLite's read
transactions do. Writes run ``READ COMMITTED`` and take the row locks they need
(``FOR UPDATE``, ``SKIP LOCKED`` for the job queue); a serialization failure or deadlock, which
only means another transaction won a race, runs the unit of work again. The role classes
build on this one and keep their SQL to themselves; ``PostgresStore`` puts them together.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import IsolationLevel, sql
from psycopg_pool import ConnectionPool, PoolTimeout

from memvault.core.entity_records import EntityKind
from memvault.core.errors import (
    ConflictError,
    InvalidInputError,
    StorageBusyError,
    StorageError,
)
from memvault.storage.entity_links import ALL_KINDS
from memvault.storage.postgres.connection import (
    RETRY_STATES,
    PostgresLocation,
    configure,
    translate,
)
from memvault.storage.postgres.migrations import migrate

T = TypeVar("T")
Connection = psycopg.Connection[Any]
POOL_MAX = 8  # connections per process: the MCP server's threads, the embed worker, readers
POOL_IDLE_S = 600.0  # psycopg_pool's own: a connection over min_size unused this long is closed
SMALL_POOL_IDLE_S = 30.0
CONNECT_TIMEOUT_S = 10.0
RETRIES = 5
ANALYZE_CHECK_S = 2.0  # how often a writing process looks for tables grown past their statistics
log = logging.getLogger(__name__)


class PostgresEngine:
    def __init__(self, url: str) -> None:
        self._where = PostgresLocation.parse(url)
        small = self._where.pool_max
        # A small pool (``pool_max=N``, hosting's) keeps no connection while idle: psycopg_pool
        # closes one unused connection per SMALL_POOL_IDLE_S, so an open but quiet tenant
        # holds none after N of those (a new one costs a connect, about 5 ms on loopback).
        self._pool = ConnectionPool(
            self._where.conninfo,
            min_size=0 if small else 1,
            max_size=small or POOL_MAX,
            max_idle=SMALL_POOL_IDLE_S if small else POOL_IDLE_S,
            # the schema in application_name: pg_stat_activity tells whose connections they are
            kwargs={
                "connect_timeout": int(CONNECT_TIMEOUT_S),
                "application_name": f"memvault:{self._where.schema}"[:63],
            },
            configure=configure(self._where.schema),
            open=False,
            name=f"memvault:{self._where.schema}",
        )
        self._closed = False
        self._next_analyze = 0.0
        self._analyzer: threading.Thread | None = None
        self.entity_kinds: frozenset[EntityKind] = ALL_KINDS  # set by the vault on open
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
            with self._pool.connection(timeout=CONNECT_TIMEOUT_S) as conn:
                migrate(conn, self._where.schema, self._where.shown)
        except PoolTimeout as exc:
            self._pool.close()
            raise StorageError(
                f"PostgreSQL at {self._where.shown} is not reachable: {_why_not(url)}"
            ) from exc
        except psycopg.Error as exc:
            self._pool.close()
            raise translate(exc, self._where.shown) from exc
        except BaseException:
            self._pool.close()
            raise

    @property
    def location(self) -> str:
        return self._where.shown

    @property
    def schema(self) -> str:
        return self._where.schema

    def local_files(self) -> list[Path]:
        return []  # nothing of a server store lives in this machine's files

    def close(self) -> None:
        if self._closed:
            return
        if self._analyzer is not None:
            self._analyzer.join()
        self._closed = True
        self._pool.close()

    # --- settings ---------------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        row = self._read(
            lambda conn: conn.execute(
                "SELECT value FROM settings WHERE key = %s", (key,)
            ).fetchone()
        )
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        self._write(
            lambda conn: conn.execute(
                "INSERT INTO settings(key, value) VALUES (%s, %s)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        )

    def swap_setting(self, key: str, expected: str | None, value: str | None) -> bool:
        def swap(conn: Connection) -> bool:
            if expected is None:  # claim an absent key: the insert itself is the race's judge
                if value is None:
                    row = conn.execute("SELECT 1 FROM settings WHERE key = %s", (key,))
                    return row.fetchone() is None
                won = conn.execute(
                    "INSERT INTO settings(key, value) VALUES (%s, %s) ON CONFLICT(key) DO NOTHING",
                    (key, value),
                )
                return won.rowcount == 1
            if value is None:
                gone = conn.execute(
                    "DELETE FROM settings WHERE key = %s AND value = %s", (key, expected)
                )
                return gone.rowcount == 1
            changed = conn.execute(
                "UPDATE settings SET value = %s WHERE key = %s AND value = %s",
                (value, key, expected),
            )
            return changed.rowcount == 1

        return self._write(swap)

    # --- transactions -----------------------------------------------------------------------
    def _read(self, job: Callable[[Connection], T]) -> T:
        return self._run(job, read_only=True)

    def _write(self, job: Callable[[Connection], T]) -> T:
        result = self._run(job, read_only=False)
        now = time.monotonic()
        if now >= self._next_analyze and (self._analyzer is None or not self._analyzer.is_alive()):
            self._next_analyze = now + ANALYZE_CHECK_S
            self._analyzer = threading.Thread(
                target=self._analyze_grown, name="memvault-analyze", daemon=True
            )
            self._analyzer.start()
        return result

    def _analyze_grown(self) -> None:
        """ANALYZE the store's tables that changed by more than autovacuum's threshold (50 rows
        and 10 %) since their last statistics. Autovacuum does this where it is on; where it is
        off (as on the server the tests use), or before it comes round after a bulk load, a
        table without statistics gets plans for an empty one: a dedup check on the wrong index,
        a vector search that measures every vector (58 ms instead of 0.8 ms at 10k). One
        process does it at a time per store (an advisory lock), on a thread of its own so no
        write waits for it."""

        def job(conn: Connection) -> None:
            held = conn.execute(
                "SELECT pg_try_advisory_xact_lock(hashtext(%s))",
                (f"memvault-analyze:{self.schema}",),
            ).fetchone()
            if not held or not held[0]:
                return
            grown = conn.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE schemaname = %s"
                " AND n_mod_since_analyze > 50 + 0.1 * n_live_tup",
                (self.schema,),
            ).fetchall()
            for (table,) in grown:
                conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(self.schema, table)))

        try:
            self._run(job, read_only=False)
        except (StorageError, InvalidInputError) as exc:  # statistics can wait for the next check
            log.warning("ANALYZE of %s skipped: %s", self._where.shown, exc)

    def _run(self, job: Callable[[Connection], T], *, read_only: bool) -> T:
        if self._closed:
            raise StorageError(f"database {self._where.shown} is closed")
        delay = 0.01
        for attempt in range(RETRIES):
            try:
                with self._pool.connection(timeout=CONNECT_TIMEOUT_S) as conn:
                    # in the BEGIN itself: a SET TRANSACTION after it was one more round trip
                    conn.read_only = read_only
                    conn.isolation_level = IsolationLevel.REPEATABLE_READ if read_only else None
                    with conn.transaction():
                        return job(conn)
            except psycopg.Error as exc:
                if exc.sqlstate in RETRY_STATES and attempt < RETRIES - 1:
                    time.sleep(delay * (0.5 + random.random()))
                    delay *= 2
                    continue
                if exc.sqlstate == "23505":  # what SQLite's single writer would never race to
                    raise ConflictError(
                        f"already there: {exc.diag.message_detail or exc.diag.message_primary}"
                    ) from exc
                if isinstance(exc, psycopg.DataError) and "0x00" in str(exc):
                    raise InvalidInputError(
                        "text holds a NUL character, which PostgreSQL cannot store"
                    ) from exc
                raise translate(exc, self._where.shown) from exc
            except PoolTimeout as exc:
                raise StorageBusyError(
                    f"PostgreSQL at {self._where.shown}: no connection free within "
                    f"{CONNECT_TIMEOUT_S:.0f} s"
                ) from exc
        raise AssertionError("unreachable")


def _why_not(url: str) -> str:
    """What libpq says when it connects once (the pool only reports that it timed out)."""
    try:
        psycopg.connect(PostgresLocation.parse(url).conninfo, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return "the connection pool timed out"
