"""The named checks of one SQLite file, each with its counts (``memvault check``).

Each check reads only, inside the caller's read transaction, and says what it found in numbers
(``CheckResult.counts``), because ``memvault repair`` plans its work from them: a keyword index
with rows missing is rebuilt, vectors without a memory are deleted, and so on.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import apsw

from memvault.core.ids import owner_gone
from memvault.core.records import CheckReport, CheckResult
from memvault.core.vector_records import VectorConfig
from memvault.storage.sqlite import vectors
from memvault.storage.sqlite.migrations import LATEST_VERSION, current_version

FTS_TABLE = "memories_fts"


def run_checks(conn: apsw.Connection, snapshot: Path) -> CheckReport:
    _load_fts_structure(conn)
    return CheckReport(
        (
            _integrity(conn),
            _foreign_keys(conn),
            fts_integrity(conn),
            keyword_rows(conn),
            vector_rows(conn),
            vector_snapshot(conn, snapshot),
            stuck_jobs(conn),
            _schema(conn),
        )
    )


def _load_fts_structure(conn: apsw.Connection) -> None:
    """Make FTS5 read its structure record now. Its integrity check uses the copy a connection
    cached and does not look for a newer one: after another connection rebuilt the index
    (``repair``), a long-lived reader reported corruption that was not there, until a query
    made it reload (measured, SQLite 3.54)."""
    with contextlib.suppress(apsw.CorruptError):  # reported, with its reason, by the checks
        conn.execute(f"SELECT rowid FROM {FTS_TABLE} LIMIT 1").fetchall()


def count_of(conn: apsw.Connection, sql: str, params: tuple[object, ...] = ()) -> int:
    """The one number a `SELECT count(*)` (or a PRAGMA) answers; 0 for no row."""
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def _integrity(conn: apsw.Connection) -> CheckResult:
    problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    ok = problems == ["ok"]
    return CheckResult(
        "sqlite_integrity",
        ok,
        "; ".join(problems[:10]),
        {"problems": 0 if ok else len(problems)},
    )


def _foreign_keys(conn: apsw.Connection) -> CheckResult:
    orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
    return CheckResult(
        "foreign_keys",
        not orphans,
        f"{len(orphans)} rows point at missing records" if orphans else "ok",
        {"orphans": len(orphans)},
    )


def fts_integrity(conn: apsw.Connection) -> CheckResult:
    """FTS5's own check of its index structures (run by SQLite's integrity check of the
    table, which a read-only connection may run, unlike FTS5's ``integrity-check`` command)."""
    problems = [str(r[0]) for r in conn.execute(f"PRAGMA integrity_check({FTS_TABLE})")]
    ok = problems == ["ok"]
    return CheckResult(
        "fts_integrity",
        ok,
        "ok" if ok else "; ".join(problems[:5]),
        {"problems": 0 if ok else len(problems)},
    )


def keyword_rows(conn: apsw.Connection) -> CheckResult:
    """Every memory has its keyword row and every row its memory."""
    try:
        missing = count_of(
            conn,
            "SELECT count(*) FROM memories m WHERE NOT EXISTS"
            f" (SELECT 1 FROM {FTS_TABLE} f WHERE f.rowid = m.pk)",
        )
        stray = count_of(
            conn,
            f"SELECT count(*) FROM {FTS_TABLE} f WHERE NOT EXISTS"
            " (SELECT 1 FROM memories m WHERE m.pk = f.rowid)",
        )
    except apsw.CorruptError as exc:  # its structure is damaged: fts_integrity says how
        return CheckResult("keyword_index", False, f"cannot be read: {exc}", {"unreadable": 1})
    detail = (
        f"{missing} memories not indexed, {stray} index rows without a memory"
        if missing or stray
        else "ok"
    )
    return CheckResult(
        "keyword_index", not (missing or stray), detail, {"missing": missing, "stray": stray}
    )


def vector_rows(conn: apsw.Connection) -> CheckResult:
    """Every vector belongs to a memory, is finite and of the vault's width, and no vector
    vanished without memvault deleting it."""
    if not vectors.table_exists(conn):
        return CheckResult("vectors", True, "no vectors yet", {"vectors": 0})
    have = vectors.vector_pks(conn)
    memories = {int(r[0]) for r in conn.execute("SELECT pk FROM memories")}
    with_job = {int(r[0]) for r in conn.execute("SELECT memory_pk FROM jobs WHERE state != 'done'")}
    lost = len(lost_vector_pks(conn, have))
    # A memory without a vector or an open job is not damage (vectors may have been off for a
    # while, or its text changed in a process that does not embed): counted, for repair.
    unqueued = len(memories - have - with_job)
    stray = len(have - memories)
    config = vectors.read_config(conn)
    broken = 0 if config is None else vectors.non_finite(conn, config)
    wrong_width = 0 if config is None else wrong_width_count(conn, config)
    counts = {
        "vectors": len(have),
        "stray": stray,
        "lost": lost,
        "without_job": unqueued - lost,
        "non_finite": broken,
        "wrong_width": wrong_width,
    }
    parts = [f"{len(have)} vectors"]
    if stray:
        parts.append(f"{stray} vectors belong to no memory")
    if lost:
        parts.append(f"{lost} vectors are gone that memvault never deleted (`memvault repair`)")
    if broken:
        parts.append(f"{broken} vectors hold NaN or infinity (`memvault reembed`)")
    if wrong_width:
        parts.append(f"{wrong_width} vectors are not {config and config.dimensions} wide")
    if unqueued - lost:
        parts.append(
            f"{unqueued - lost} memories have no vector and no job (`memvault jobs --wait`)"
        )
    ok = not (stray or lost or broken or wrong_width)
    return CheckResult("vectors", ok, "; ".join(parts), counts)


def lost_vector_pks(conn: apsw.Connection, have: set[int]) -> set[int]:
    """Memories with no vector and no open job whose last logged vector change is a write:
    memvault logs every vector it deletes, so such a vector was lost to damage. (A change
    older than the log's reach cannot be told apart; it counts as a memory without a job.)"""
    rows = conn.execute(
        "SELECT l.memory_pk FROM vector_log l"
        " JOIN (SELECT memory_pk, max(seq) AS seq FROM vector_log GROUP BY memory_pk) last"
        " ON last.seq = l.seq"
        " WHERE l.op = 'put' AND EXISTS (SELECT 1 FROM memories m WHERE m.pk = l.memory_pk)"
        " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.memory_pk = l.memory_pk"
        " AND j.state != 'done')"
    )
    return {int(r[0]) for r in rows} - have


def vector_bytes(config: VectorConfig) -> int:
    """How many bytes one stored vector of this config takes."""
    per = {"float32": 4 * config.dimensions, "int8": config.dimensions}
    return per.get(config.storage.value, (config.dimensions + 7) // 8)


def wrong_width_count(conn: apsw.Connection, config: VectorConfig) -> int:
    return count_of(
        conn,
        f"SELECT count(*) FROM {vectors.TABLE} WHERE length(embedding) != ?",
        (vector_bytes(config),),
    )


def vector_snapshot(conn: apsw.Connection, path: Path) -> CheckResult:
    """The cached index beside the file: wanted once a vault holds many vectors (a process
    without it reads every vector to start), and of no use when it no longer fits.

    Named, but never a failure: it is a cache, never the truth, and the next process to search
    rebuilds and writes it. (A restore, which does not copy it, must still check ok.)
    ``counts["rebuild"]`` tells ``repair`` to write it now.
    """
    from memvault.storage.sqlite import index_snapshot  # numpy: on use, not at start-up
    from memvault.storage.sqlite.vector_index import SNAPSHOT_MIN, snapshot_problem

    config = vectors.read_config(conn)
    count = vectors.count(conn) if config is not None else 0
    exists = path.exists()

    def result(detail: str, rebuild: bool) -> CheckResult:
        counts = {"vectors": count, "present": int(exists), "rebuild": int(rebuild)}
        return CheckResult("vector_snapshot", True, detail, counts)

    if config is None or (count < SNAPSHOT_MIN and not exists):
        return result("not needed", False)
    found = index_snapshot.load(path)
    if found is None:
        if exists:
            return result(
                f"{path.name} is torn; the next search or memvault repair rewrites it", True
            )
        return result(
            f"missing: a new process reads all {count} vectors to start; the next search or "
            "memvault repair writes it",
            True,
        )
    problem = snapshot_problem(conn, config, *found)
    if problem is not None:
        return result(f"{path.name} is unusable ({problem}); repair rewrites it", True)
    return result(f"{path.name} fits", False)


def stuck_jobs(conn: apsw.Connection) -> CheckResult:
    """Jobs held under a lease that ran out, or by a process of this machine that is gone.

    Named and counted, but not a failure: such a lease is void, the next worker to claim takes
    the job over (and ``repair`` releases it at once). A worker killed mid-batch leaves one,
    and a vault that survived a kill -9 intact must check ok.
    """
    now = time.time()
    stuck = 0
    for owner, until in conn.execute(
        "SELECT lease_owner, lease_until FROM jobs WHERE state = 'running'"
    ):
        if until is None or float(until) < now or (owner is not None and owner_gone(str(owner))):
            stuck += 1
    failed = count_of(conn, "SELECT count(*) FROM jobs WHERE state = 'failed'")
    queued = count_of(conn, "SELECT count(*) FROM jobs WHERE state = 'queued'")
    detail = f"{queued} queued, {failed} failed"
    if stuck:
        detail = (
            f"{stuck} jobs held by a lease that ran out or a process that is gone (the next "
            f"worker takes them over; memvault repair releases them now); {detail}"
        )
    return CheckResult("jobs", True, detail, {"stuck": stuck, "failed": failed, "queued": queued})


def _schema(conn: apsw.Connection) -> CheckResult:
    version = current_version(conn)
    return CheckResult(
        "schema_version",
        version == LATEST_VERSION,
        f"version {version}, latest {LATEST_VERSION}",
        {"version": version, "latest": LATEST_VERSION},
    )
