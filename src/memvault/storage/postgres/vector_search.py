"""Vector search of the PostgreSQL engine: pgvector's nearest neighbours, filtered.

Scores are SQLite's: cosine similarity (``1 - cosine distance``) for float32 and int8 storage,
and ``1 - 2 * hamming / d`` for bit storage (the cosine of the ±1 codes). Equal scores are
ordered by id, and a hit whose score is not finite (a zero vector has no cosine) ranks nothing.

Two ways to answer, chosen by how many memories the filter admits:

- Few (below ``EXACT_BELOW``): an exact scan of the admitted rows, distances computed for each
  of them. Cheap at that size, and a selective filter (one namespace among many, a rare tag)
  can never miss: an approximate index would hand back neighbours the filter then throws away.
- Many: the HNSW index, with pgvector 0.8's iterative scan (``hnsw.iterative_scan =
  relaxed_order``), which keeps walking the graph until enough rows pass the filter instead of
  stopping after ``ef_search`` candidates, and ``ef_search`` raised to the limit. Its order is
  only approximately by distance, so the hits are sorted again. Should it still come back short
  (the scan gives up after ``hnsw.max_scan_tuples``), the exact scan answers.

The admitted rows are counted only up to ``EXACT_BELOW``, so the count costs at most that many
index entries however large the vault.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from memvault.core.records import MemoryFilter
from memvault.core.vector_records import VectorConfig, VectorStorage
from memvault.storage.postgres import vectors
from memvault.storage.postgres.engine import Connection, PostgresEngine
from memvault.storage.postgres.memory_rows import filter_sql
from memvault.storage.roles import Ranked

if TYPE_CHECKING:
    from memvault.storage.roles import Matrix

EXACT_BELOW = 5_000  # admitted memories up to which an exact scan answers
# HNSW candidates per search: twice the limit, at least 100 (pgvector's default of 40 gave
# recall@10 0.94-0.96 at 100k in `make bench`, against 0.985 for SQLite's index), at most 1,000
EF_SEARCH = (100, 1_000)


class PostgresVectorSearch(PostgresEngine):
    def vector_search(self, query: Matrix, where: MemoryFilter, *, limit: int) -> list[Ranked]:
        condition, params = filter_sql(where)

        def job(conn: Connection) -> list[Ranked]:
            config, indexed = vectors.search_state(conn)
            if config is None or limit <= 0:
                return []
            vectors.use_types(conn)
            value = vectors.encode(config, query.reshape(-1))
            if indexed and not _few(conn, condition, params):
                found = _approximate(conn, config, value, condition, params, limit)
                if len(found) >= limit:
                    return found
            return _exact(conn, config, value, condition, params, limit)

        return self._read(job)


def _few(conn: Connection, condition: str, params: list[Any]) -> bool:
    """Whether the filter admits fewer than ``EXACT_BELOW`` memories."""
    row = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM memories m WHERE {condition} LIMIT %s) admitted",
        (*params, EXACT_BELOW),
    ).fetchone()
    return row is not None and int(row[0]) < EXACT_BELOW


def _distance(config: VectorConfig) -> str:
    return f"v.embedding {vectors.KINDS[config.storage][2]} %b"


def _approximate(
    conn: Connection,
    config: VectorConfig,
    value: object,
    condition: str,
    params: list[Any],
    limit: int,
) -> list[Ranked]:
    """The HNSW index's nearest rows that pass the filter (see the module's docstring)."""
    low, high = EF_SEARCH
    conn.execute(
        "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
        " set_config('hnsw.ef_search', %s, true)",
        (str(min(max(2 * limit, low), high)),),
    )
    rows = conn.execute(
        f"SELECT m.id, {_distance(config)} AS d FROM {vectors.TABLE} v"
        f" JOIN memories m ON m.pk = v.memory_pk WHERE {condition} ORDER BY d LIMIT %s",
        (value, *params, limit),
        prepare=False,
    ).fetchall()
    return _ranked(config, rows, limit)


def _exact(
    conn: Connection,
    config: VectorConfig,
    value: object,
    condition: str,
    params: list[Any],
    limit: int,
) -> list[Ranked]:
    """Exact nearest neighbours among the rows the filter admits. The distances are computed in
    a materialized CTE, which no index scan can answer: every admitted row is measured."""
    rows = conn.execute(
        f"WITH measured AS MATERIALIZED (SELECT m.id, {_distance(config)} AS d"
        f" FROM memories m JOIN {vectors.TABLE} v ON v.memory_pk = m.pk WHERE {condition})"
        " SELECT id, d FROM measured WHERE d <> 'NaN' ORDER BY d, id LIMIT %s",
        (value, *params, limit),
        prepare=False,
    ).fetchall()
    return _ranked(config, rows, limit)


def _ranked(config: VectorConfig, rows: list[Any], limit: int) -> list[Ranked]:
    """(id, distance) rows as (id, score), best first, then by id."""
    bit = config.storage is VectorStorage.BIT
    found = [
        (str(memory_id), 1.0 - 2.0 * float(d) / config.dimensions if bit else 1.0 - float(d))
        for memory_id, d in rows
        if d is not None
    ]
    found = [(memory_id, score) for memory_id, score in found if math.isfinite(score)]
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))[:limit]
