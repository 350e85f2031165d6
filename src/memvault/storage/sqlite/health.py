"""The operations role of the SQLite engine: stats and consistency checks of one file
(the checks themselves are in ``checks.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import apsw

from memvault.core.records import CheckReport, StoreStats
from memvault.storage.sqlite.checks import count_of, run_checks
from memvault.storage.sqlite.engine import SqliteEngine
from memvault.storage.sqlite.migrations import current_version


class SqliteHealth(SqliteEngine):
    def stats(self) -> StoreStats:
        return self._read(lambda conn: store_stats(conn, self._path))

    def check(self) -> CheckReport:
        return self._read(lambda conn: run_checks(conn, self._index_snapshot_path))


_OWN = "chunk_of IS NULL AND session_pk IS NULL"  # memories of their own


def store_stats(conn: apsw.Connection, path: Path) -> StoreStats:
    by_kind = dict(
        conn.execute(f"SELECT kind, count(*) FROM memories WHERE {_OWN} GROUP BY kind ORDER BY 1")
    )
    by_namespace = dict(
        conn.execute(
            f"SELECT namespace, count(*) FROM memories WHERE {_OWN} GROUP BY namespace ORDER BY 1"
        )
    )
    total = count_of(conn, f"SELECT count(*) FROM memories WHERE {_OWN}")
    current = count_of(conn, f"SELECT count(*) FROM memories WHERE {_OWN} AND valid_to IS NULL")
    page_size = count_of(conn, "PRAGMA page_size")
    page_count = count_of(conn, "PRAGMA page_count")
    wal = Path(f"{path}-wal")
    return StoreStats(
        memories=total,
        current=current,
        superseded=total - current,
        by_kind={str(k): int(v) for k, v in by_kind.items()},
        by_namespace={str(k): int(v) for k, v in by_namespace.items()},
        tags=count_of(conn, "SELECT count(DISTINCT tag) FROM memory_tags"),
        edges=count_of(conn, "SELECT count(*) FROM edges"),
        validation_events=count_of(conn, "SELECT count(*) FROM validation_events"),
        schema_version=current_version(conn),
        db_bytes=page_size * page_count,
        wal_bytes=os.path.getsize(wal) if wal.exists() else 0,
        sessions=count_of(conn, "SELECT count(*) FROM sessions"),
        messages=count_of(conn, "SELECT count(*) FROM messages"),
        notes=count_of(conn, "SELECT count(*) FROM files WHERE kind = 'note'"),
        files=count_of(conn, "SELECT count(*) FROM files WHERE kind = 'document'"),
        chunks=count_of(conn, "SELECT count(*) FROM memories WHERE chunk_of IS NOT NULL"),
    )
