"""The named checks of one PostgreSQL store, each with its counts (``memvault check``).

The names and counts are the SQLite engine's wherever the concept is the same, because
``memvault repair`` plans its work from them. Some SQLite checks have nothing to look at here:
the server vouches for its own pages (no ``sqlite_integrity``) and enforces every foreign key
(no ``foreign_keys``), the keyword index is a table of rows rather than FTS5's segments (no
``fts_integrity``), and no index snapshot is cached beside the data (no ``vector_snapshot``).
What is left is what can drift apart between rows that are the truth and rows derived from
them: keyword rows, vectors, job leases, and the schema version.
"""

from __future__ import annotations

import time
from typing import Any

from psycopg import sql

from memvault.core.ids import owner_gone
from memvault.core.records import CheckReport, CheckResult
from memvault.core.vector_records import VectorConfig, VectorStorage
from memvault.storage.postgres.engine import Connection
from memvault.storage.postgres.migrations import LATEST_VERSION, current_version

VECTOR_TABLE = "memory_vectors"
VECTOR_COLUMN = "embedding"


def run_checks(conn: Connection, schema: str) -> CheckReport:
    return CheckReport(
        (
            keyword_rows(conn),
            vector_rows(conn, schema),
            stuck_jobs(conn),
            _schema(conn, schema),
        )
    )


def count_of(conn: Connection, query: Any, params: tuple[object, ...] = ()) -> int:
    """The one number a ``SELECT count(*)`` answers; 0 for no row."""
    row = conn.execute(query, params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def keyword_rows(conn: Connection) -> CheckResult:
    """Every memory has its keyword row and every row its memory (a stray row cannot outlive
    its memory, by cascade, but is counted all the same: the check states, it does not trust)."""
    missing = count_of(
        conn,
        "SELECT count(*) FROM memories m WHERE NOT EXISTS"
        " (SELECT 1 FROM memory_terms t WHERE t.memory_pk = m.pk)",
    )
    stray = count_of(
        conn,
        "SELECT count(*) FROM memory_terms t WHERE NOT EXISTS"
        " (SELECT 1 FROM memories m WHERE m.pk = t.memory_pk)",
    )
    detail = (
        f"{missing} memories not indexed, {stray} index rows without a memory"
        if missing or stray
        else "ok"
    )
    return CheckResult(
        "keyword_index", not (missing or stray), detail, {"missing": missing, "stray": stray}
    )


# --- vectors ------------------------------------------------------------------------------------
def vector_table(conn: Connection, schema: str) -> sql.Composed | None:
    """The store's own vector table, schema-qualified, or None before vectors were first
    configured (qualified: an unqualified name could find a ``public.memory_vectors``)."""
    row = conn.execute(
        "SELECT to_regclass(format('%%I.%%I', %s::text, %s::text))", (schema, VECTOR_TABLE)
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(VECTOR_TABLE))


def _column_type(conn: Connection, schema: str) -> str:
    """The element type of the vector column (``vector``, ``halfvec``, ``bit``, ``bytea``...),
    which says how to measure a vector's width and whether it can hold NaN."""
    row = conn.execute(
        "SELECT t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
        " WHERE a.attrelid = to_regclass(format('%%I.%%I', %s::text, %s::text))"
        " AND a.attname = %s",
        (schema, VECTOR_TABLE, VECTOR_COLUMN),
    ).fetchone()
    return "" if row is None else str(row[0])


# How wide a stored vector is, by column type, and the width it must have (``dims`` is the
# config's dimensions, ``bytes`` its packed size: a bytea column holds the SQLite blob layout).
_WIDTH = {
    "vector": ("vector_dims(embedding)", "dims"),
    "halfvec": ("vector_dims(embedding)", "dims"),
    "bit": ("bit_length(embedding)", "dims"),
    "varbit": ("bit_length(embedding)", "dims"),
    "bytea": ("octet_length(embedding)", "bytes"),
}
# A vector with NaN or infinity in it, by column type. pgvector refuses both on input, but a
# check states what is there rather than what should be: this costs one scan, as in SQLite.
_NON_FINITE = {
    "vector": "embedding::real[]",
    "halfvec": "embedding::vector::real[]",
    "_float4": "embedding",
    "_float8": "embedding",
}


def vector_bytes(config: VectorConfig) -> int:
    """How many bytes one vector of this config takes packed (the SQLite engine's blob)."""
    per = {"float32": 4 * config.dimensions, "int8": config.dimensions}
    return per.get(config.storage.value, (config.dimensions + 7) // 8)


def width_sql(conn: Connection, schema: str, config: VectorConfig) -> tuple[str, int]:
    """An expression of a row's vector width, and the width it must be."""
    kind = _column_type(conn, schema)
    if kind in _WIDTH:
        expr, unit = _WIDTH[kind]
        return expr, config.dimensions if unit == "dims" else vector_bytes(config)
    return "cardinality(embedding)", config.dimensions  # an array column


def non_finite_sql(conn: Connection, schema: str) -> str | None:
    """A condition true for a row whose vector holds NaN or infinity; None if it cannot."""
    array = _NON_FINITE.get(_column_type(conn, schema))
    if array is None:
        return None
    return f"EXISTS (SELECT 1 FROM unnest({array}) x WHERE x IN ('NaN', 'Infinity', '-Infinity'))"


def read_config(conn: Connection) -> VectorConfig | None:
    row = conn.execute(
        "SELECT model_id, dimensions, storage, int8_scale FROM vector_config WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    return VectorConfig(str(row[0]), int(row[1]), VectorStorage(row[2]), row[3])


def vector_pks(conn: Connection, table: sql.Composed) -> set[int]:
    return {int(r[0]) for r in conn.execute(sql.SQL("SELECT memory_pk FROM {}").format(table))}


def bad_vector_pks(conn: Connection, schema: str, config: VectorConfig) -> dict[str, set[int]]:
    """The vectors that cannot be right, by what is wrong: ``stray`` (no memory),
    ``wrong_width``, ``non_finite`` (a wrong-width vector is counted only as that)."""
    table = vector_table(conn, schema)
    if table is None:
        return {"stray": set(), "wrong_width": set(), "non_finite": set()}
    width, wanted = width_sql(conn, schema, config)

    def pks(condition: str, params: tuple[object, ...] = ()) -> set[int]:
        query = sql.SQL("SELECT memory_pk FROM {} v WHERE ").format(table) + sql.SQL(condition)
        return {int(r[0]) for r in conn.execute(query, params)}

    stray = pks("NOT EXISTS (SELECT 1 FROM memories m WHERE m.pk = v.memory_pk)")
    wrong = pks(f"{width} IS DISTINCT FROM %s", (wanted,))
    condition = non_finite_sql(conn, schema)
    broken = set() if condition is None else pks(condition) - wrong
    return {"stray": stray, "wrong_width": wrong, "non_finite": broken}


def vector_rows(conn: Connection, schema: str) -> CheckResult:
    """Every vector belongs to a memory, is finite and of the vault's width.

    ``lost`` (a vector gone that memvault never deleted) is always 0 here, and said to be: the
    SQLite engine tells such a loss from a deliberate delete by its ``vector_log``, which exists
    because a damaged file can lose rows. A PostgreSQL server does not lose committed rows, and
    this engine keeps no such log, so a missing vector is counted as a memory without a vector
    (``without_job``), which ``repair`` queues when vectors are on. (Counting memories with a
    done job and no vector as lost instead would fail the check of a healthy store whose text
    changed in a process that does not embed, which the SQLite engine counts as no damage.)
    """
    table = vector_table(conn, schema)
    if table is None:
        return CheckResult("vectors", True, "no vectors yet", {"vectors": 0})
    have = vector_pks(conn, table)
    memories = {int(r[0]) for r in conn.execute("SELECT pk FROM memories")}
    with_job = {int(r[0]) for r in conn.execute("SELECT memory_pk FROM jobs WHERE state != 'done'")}
    unqueued = len(memories - have - with_job)
    config = read_config(conn)
    bad = bad_vector_pks(conn, schema, config) if config is not None else {}
    stray = len(have - memories)
    broken = len(bad.get("non_finite", ()))
    wrong_width = len(bad.get("wrong_width", ()))
    counts = {
        "vectors": len(have),
        "stray": stray,
        "lost": 0,
        "without_job": unqueued,
        "non_finite": broken,
        "wrong_width": wrong_width,
    }
    parts = [f"{len(have)} vectors"]
    if stray:
        parts.append(f"{stray} vectors belong to no memory")
    if broken:
        parts.append(f"{broken} vectors hold NaN or infinity (`memvault reembed`)")
    if wrong_width:
        parts.append(f"{wrong_width} vectors are not {config and config.dimensions} wide")
    if unqueued:
        parts.append(f"{unqueued} memories have no vector and no job (`memvault jobs --wait`)")
    ok = not (stray or broken or wrong_width)
    return CheckResult("vectors", ok, "; ".join(parts), counts)


# --- jobs and schema ----------------------------------------------------------------------------
def stuck_job_ids(conn: Connection, *, lock: bool = False) -> list[int]:
    """Running jobs whose lease ran out (by this process's clock, which leases are taken by) or
    whose holder is a process of this machine that is gone."""
    now = time.time()
    rows = conn.execute(
        "SELECT id, lease_owner, lease_until FROM jobs WHERE state = 'running' ORDER BY id"
        + (" FOR UPDATE" if lock else "")
    ).fetchall()
    return [
        int(job_id)
        for job_id, owner, until in rows
        if until is None or float(until) < now or (owner is not None and owner_gone(str(owner)))
    ]


def stuck_jobs(conn: Connection) -> CheckResult:
    """Jobs held under a lease that ran out, or by a process of this machine that is gone.

    Named and counted, but not a failure: such a lease is void, the next worker to claim takes
    the job over (and ``repair`` releases it at once).
    """
    stuck = len(stuck_job_ids(conn))
    failed = count_of(conn, "SELECT count(*) FROM jobs WHERE state = 'failed'")
    queued = count_of(conn, "SELECT count(*) FROM jobs WHERE state = 'queued'")
    detail = f"{queued} queued, {failed} failed"
    if stuck:
        detail = (
            f"{stuck} jobs held by a lease that ran out or a process that is gone (the next "
            f"worker takes them over; memvault repair releases them now); {detail}"
        )
    return CheckResult("jobs", True, detail, {"stuck": stuck, "failed": failed, "queued": queued})


def _schema(conn: Connection, schema: str) -> CheckResult:
    version = current_version(conn, schema)
    return CheckResult(
        "schema_version",
        version == LATEST_VERSION,
        f"version {version}, latest {LATEST_VERSION}",
        {"version": version, "latest": LATEST_VERSION},
    )
