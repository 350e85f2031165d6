"""The operations role of the SQLite engine: stats and consistency checks of one file."""

from __future__ import annotations

import os
from pathlib import Path

import apsw

from memvault.core.records import CheckReport, CheckResult, StoreStats
from memvault.storage.sqlite import vectors
from memvault.storage.sqlite.engine import SqliteEngine
from memvault.storage.sqlite.migrations import LATEST_VERSION, current_version


class SqliteHealth(SqliteEngine):
    def stats(self) -> StoreStats:
        return self._read(lambda conn: store_stats(conn, self._path))

    def check(self) -> CheckReport:
        return self._read(_check)


def _count(conn: apsw.Connection, sql: str) -> int:
    row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


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
    total = _count(conn, f"SELECT count(*) FROM memories WHERE {_OWN}")
    current = _count(conn, f"SELECT count(*) FROM memories WHERE {_OWN} AND valid_to IS NULL")
    page_size = _count(conn, "PRAGMA page_size")
    page_count = _count(conn, "PRAGMA page_count")
    wal = Path(f"{path}-wal")
    return StoreStats(
        memories=total,
        current=current,
        superseded=total - current,
        by_kind={str(k): int(v) for k, v in by_kind.items()},
        by_namespace={str(k): int(v) for k, v in by_namespace.items()},
        tags=_count(conn, "SELECT count(DISTINCT tag) FROM memory_tags"),
        edges=_count(conn, "SELECT count(*) FROM edges"),
        validation_events=_count(conn, "SELECT count(*) FROM validation_events"),
        schema_version=current_version(conn),
        db_bytes=page_size * page_count,
        wal_bytes=os.path.getsize(wal) if wal.exists() else 0,
        sessions=_count(conn, "SELECT count(*) FROM sessions"),
        messages=_count(conn, "SELECT count(*) FROM messages"),
        notes=_count(conn, "SELECT count(*) FROM files WHERE kind = 'note'"),
        files=_count(conn, "SELECT count(*) FROM files WHERE kind = 'document'"),
        chunks=_count(conn, "SELECT count(*) FROM memories WHERE chunk_of IS NOT NULL"),
    )


def _check(conn: apsw.Connection) -> CheckReport:
    results: list[CheckResult] = []

    problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    results.append(CheckResult("sqlite_integrity", problems == ["ok"], "; ".join(problems[:10])))

    orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
    results.append(
        CheckResult(
            "foreign_keys",
            not orphans,
            f"{len(orphans)} rows point at missing records" if orphans else "ok",
        )
    )

    missing = _count(
        conn,
        "SELECT count(*) FROM memories m WHERE NOT EXISTS"
        " (SELECT 1 FROM memories_fts f WHERE f.rowid = m.pk)",
    )
    stray = _count(
        conn,
        "SELECT count(*) FROM memories_fts f WHERE NOT EXISTS"
        " (SELECT 1 FROM memories m WHERE m.pk = f.rowid)",
    )
    results.append(
        CheckResult(
            "keyword_index",
            missing == 0 and stray == 0,
            f"{missing} memories not indexed, {stray} index rows without a memory"
            if missing or stray
            else "ok",
        )
    )

    results.append(_vector_check(conn))

    version = current_version(conn)
    results.append(
        CheckResult(
            "schema_version",
            version == LATEST_VERSION,
            f"version {version}, latest {LATEST_VERSION}",
        )
    )
    return CheckReport(tuple(results))


def _vector_check(conn: apsw.Connection) -> CheckResult:
    """Every vector belongs to a memory; memories without a vector or a job are counted."""
    if not vectors.table_exists(conn):
        return CheckResult("vectors", True, "no vectors yet")
    have = vectors.vector_pks(conn)
    memories = {int(r[0]) for r in conn.execute("SELECT pk FROM memories")}
    with_job = {int(r[0]) for r in conn.execute("SELECT memory_pk FROM jobs WHERE state != 'done'")}
    stray = len(have - memories)
    uncovered = len(memories - have - with_job)
    # A memory without either is not damage (vectors may have been turned off for a while);
    # it is reported so `memvault jobs --wait` can be run to fill the gap.
    detail = f"{len(have)} vectors"
    if uncovered:
        detail += f"; {uncovered} memories have no vector and no job (`memvault jobs --wait`)"
    if stray:
        detail = f"{stray} vectors belong to no memory; " + detail
    config = vectors.read_config(conn)
    broken = 0 if config is None else vectors.non_finite(conn, config)
    if broken:
        detail = f"{broken} vectors hold NaN or infinity (`memvault reembed`); {detail}"
    return CheckResult("vectors", stray == 0 and broken == 0, detail)
