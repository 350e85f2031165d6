"""Vector search of the PostgreSQL engine: pgvector's nearest neighbours, filtered.

Scores are SQLite's: cosine similarity (``1 - cosine distance``) for float32 and int8 storage;
for bit storage the nearest ``max(400, 2 * limit)`` by Hamming distance are rescored as SQLite's
index rescores them, the full-precision query against each row's ±1 codes (``q · s / sqrt(d)``):
ranking by Hamming alone throws the query's magnitudes away, which cost 0.03 nDCG@10 on SciFact
and LoCoMo (docs/scaling.md). Equal scores are ordered by id, and a hit whose score is not
finite (a zero vector has no cosine) ranks nothing.

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
BIT_POOL = 400  # bit storage: candidates by Hamming distance rescored (SQLite's _MIN_POOL)
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
            bit = config.storage is VectorStorage.BIT
            wanted = max(BIT_POOL, 2 * limit) if bit else limit
            rows: list[Any] = []
            if indexed and not _few(conn, condition, params):
                rows = _approximate(conn, config, value, condition, params, wanted)
            if len(rows) < wanted:
                rows = _exact(conn, config, value, condition, params, wanted)
            return _rescored(config, rows, query, limit) if bit else _ranked(config, rows, limit)

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
) -> list[Any]:
    """The HNSW index's nearest rows that pass the filter (see the module's docstring):
    (id, distance[, codes]) rows."""
    low, high = EF_SEARCH
    conn.execute(
        "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
        " set_config('hnsw.ef_search', %s, true)",
        (str(min(max(2 * limit, low), high)),),
    )
    return conn.execute(
        f"SELECT m.id, {_distance(config)} AS d{_codes(config)} FROM {vectors.TABLE} v"
        f" JOIN memories m ON m.pk = v.memory_pk WHERE {condition} ORDER BY d LIMIT %s",
        (value, *params, limit),
        prepare=False,
    ).fetchall()


def _exact(
    conn: Connection,
    config: VectorConfig,
    value: object,
    condition: str,
    params: list[Any],
    limit: int,
) -> list[Any]:
    """Exact nearest neighbours among the rows the filter admits, (id, distance[, codes]). The
    distances are computed in a materialized CTE, which no index scan can answer: every
    admitted row is measured."""
    codes = ", embedding" if config.storage is VectorStorage.BIT else ""
    return conn.execute(
        f"WITH measured AS MATERIALIZED (SELECT m.id, {_distance(config)} AS d{_codes(config)}"
        f" FROM memories m JOIN {vectors.TABLE} v ON v.memory_pk = m.pk WHERE {condition})"
        f" SELECT id, d{codes} FROM measured WHERE d <> 'NaN' ORDER BY d, id LIMIT %s",
        (value, *params, limit),
        prepare=False,
    ).fetchall()


def _codes(config: VectorConfig) -> str:
    """The stored codes too, for bit storage's rescore."""
    return ", v.embedding" if config.storage is VectorStorage.BIT else ""


def _rescored(config: VectorConfig, rows: list[Any], query: Matrix, limit: int) -> list[Ranked]:
    """Bit storage: each candidate's ±1 codes scored against the full-precision query."""
    import numpy as np

    if not rows:
        return []
    signs = np.vstack([vectors.decode(config, row[2]) for row in rows])
    q = np.asarray(query, dtype=np.float32).reshape(-1)
    scores = np.einsum("ij,j->i", signs, q) / np.sqrt(np.float32(config.dimensions))
    found = [
        (str(row[0]), float(score))
        for row, score in zip(rows, scores, strict=True)
        if math.isfinite(float(score))
    ]
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))[:limit]


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
