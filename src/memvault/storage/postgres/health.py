"""The operations role of the PostgreSQL engine: stats and consistency checks of one store
(the checks themselves are in ``checks.py``).

The counts are those of the SQLite engine, query for query, so ``memvault stats`` reads the
same on either engine. The sizes differ in what they can mean: a store is one schema of a
database, so ``db_bytes`` is what the schema's tables take with their indexes and TOAST
(``pg_total_relation_size``), and ``wal_bytes`` is 0: the server's write-ahead log belongs to
every database it serves, not to this store.
"""

from __future__ import annotations

from memvault.core.records import CheckReport, StoreStats
from memvault.storage.postgres.checks import count_of, run_checks
from memvault.storage.postgres.engine import Connection, PostgresEngine
from memvault.storage.postgres.migrations import current_version


class PostgresHealth(PostgresEngine):
    def stats(self) -> StoreStats:
        return self._read(lambda conn: store_stats(conn, self.schema))

    def check(self) -> CheckReport:
        return self._read(lambda conn: run_checks(conn, self.schema))


_OWN = "chunk_of IS NULL AND session_pk IS NULL"  # memories of their own


def schema_bytes(conn: Connection, schema: str) -> int:
    """What the store's tables take on the server's disk, indexes and TOAST included."""
    return count_of(
        conn,
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'm', 'p')",
        (schema,),
    )


def store_stats(conn: Connection, schema: str) -> StoreStats:
    by_kind = conn.execute(
        f"SELECT kind, count(*) FROM memories WHERE {_OWN} GROUP BY kind ORDER BY 1"
    ).fetchall()
    by_namespace = conn.execute(
        f"SELECT namespace, count(*) FROM memories WHERE {_OWN} GROUP BY namespace ORDER BY 1"
    ).fetchall()
    total = count_of(conn, f"SELECT count(*) FROM memories WHERE {_OWN}")
    current = count_of(conn, f"SELECT count(*) FROM memories WHERE {_OWN} AND valid_to IS NULL")
    return StoreStats(
        memories=total,
        current=current,
        superseded=total - current,
        by_kind={str(k): int(v) for k, v in by_kind},
        by_namespace={str(k): int(v) for k, v in by_namespace},
        tags=count_of(conn, "SELECT count(DISTINCT tag) FROM memory_tags"),
        edges=count_of(conn, "SELECT count(*) FROM edges"),
        validation_events=count_of(conn, "SELECT count(*) FROM validation_events"),
        schema_version=current_version(conn, schema),
        db_bytes=schema_bytes(conn, schema),
        wal_bytes=0,
        sessions=count_of(conn, "SELECT count(*) FROM sessions"),
        messages=count_of(conn, "SELECT count(*) FROM messages"),
        notes=count_of(conn, "SELECT count(*) FROM files WHERE kind = 'note'"),
        files=count_of(conn, "SELECT count(*) FROM files WHERE kind = 'document'"),
        chunks=count_of(conn, "SELECT count(*) FROM memories WHERE chunk_of IS NOT NULL"),
    )
