"""The compaction role of the PostgreSQL engine: make the space of deleted rows usable again.

``VACUUM`` cannot run inside a transaction block, so it runs on a connection of its own, in
autocommit mode, opened for it and nothing else (never a pooled one, whose transactions the
other roles share). Plain ``VACUUM``, not ``VACUUM FULL``: it takes only a lock that ordinary
reads and writes do not conflict with, so other processes carry on while it runs, as they do
around SQLite's ``VACUUM`` in WAL mode; it marks dead rows' space free for new rows, hands empty
pages at the end of each table back to the disk, and refreshes the planner's statistics
(``ANALYZE``). ``VACUUM FULL`` would give every free page back, but by rewriting each table under
an exclusive lock that stops readers too: an outage a live store should not take without being
asked. What blocks a ``VACUUM`` is another process's schema change or vacuum of the same table;
``lock_timeout`` is how long it waits for one before the clear refusal.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from memvault.core.errors import StorageBusyError
from memvault.core.repair_records import CompactReport
from memvault.storage.postgres.connection import PostgresLocation, configure, translate
from memvault.storage.postgres.engine import CONNECT_TIMEOUT_S, Connection, PostgresEngine
from memvault.storage.postgres.health import schema_bytes


@contextmanager
def own_connection(where: PostgresLocation) -> Iterator[Connection]:
    """A new autocommit connection to the store (search path and vector types as the pool's),
    for the statements that refuse to run in a transaction; closed after."""
    try:
        conn = psycopg.connect(
            where.conninfo,
            autocommit=True,
            connect_timeout=int(CONNECT_TIMEOUT_S),
            application_name="memvault",
        )
    except psycopg.Error as exc:
        raise translate(exc, where.shown) from exc
    try:
        configure(where.schema)(conn)
        yield conn
    except psycopg.Error as exc:
        raise translate(exc, where.shown) from exc
    finally:
        conn.close()


def store_tables(conn: Connection, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", (schema,)
    )
    return [str(r[0]) for r in rows]


class PostgresCompact(PostgresEngine):
    def compact(self, *, wait_seconds: float = 60.0) -> CompactReport:
        started = time.monotonic()
        with own_connection(self._where) as conn:
            before = schema_bytes(conn, self.schema)
            conn.execute(
                sql.SQL("SET lock_timeout = {}").format(
                    sql.Literal(f"{max(1, int(wait_seconds * 1000))}ms")
                )
            )
            tables = sql.SQL(", ").join(
                sql.Identifier(self.schema, name) for name in store_tables(conn, self.schema)
            )
            try:
                conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(tables))
            except psycopg.errors.LockNotAvailable as exc:
                raise StorageBusyError(
                    f"{self.location}: another process held a table of the store (a schema "
                    f"change or a vacuum) for {wait_seconds:.0f} s; nothing more was compacted "
                    "(try again, or pass a longer --wait)"
                ) from exc
            after = schema_bytes(conn, self.schema)
        return CompactReport(before, 0, after, 0, time.monotonic() - started)
