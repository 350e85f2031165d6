"""Vector search over memories: the in-process index first, exact sqlite-vec when filters bite.

The index ranks every vector in the vault; filters (namespace, kind, tags, dates, superseded)
are applied afterwards on the candidates it returns. When a filter is so selective that too few
candidates survive, the search falls back to an exact scan in SQL with sqlite-vec's distance
functions, restricted to the rows the filter admits, so filtered searches never miss.
"""

from __future__ import annotations

import apsw

from memvault.models import Memory, MemoryFilter, SearchHit, Signal, VectorConfig, VectorStorage
from memvault.storage.sqlite import vectors
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.memory_rows import (
    MEMORY_COLUMN_COUNT,
    MEMORY_COLUMNS,
    filter_sql,
    memory_from_row,
)
from memvault.storage.sqlite.vector_index import Matrix, VectorIndex

_CANDIDATE_FACTOR = 4
_CANDIDATE_MIN = 50


def search(
    conn: apsw.Connection, index: VectorIndex, query: Matrix, where: MemoryFilter, limit: int
) -> list[SearchHit]:
    index.sync(conn)
    config = vectors.read_config(conn)
    if config is None or limit <= 0:
        return []
    wanted = max(limit * _CANDIDATE_FACTOR, _CANDIDATE_MIN)
    ranked = index.search(query, wanted)
    condition, params = filter_sql(where)
    hits: list[SearchHit] = []
    if ranked:
        score_of = dict(ranked)
        marks = ",".join("?" * len(ranked))
        rows: list[Row] = conn.execute(
            f"SELECT m.pk, {MEMORY_COLUMNS} FROM memories m"
            f" WHERE m.pk IN ({marks}) AND {condition}",
            (*score_of, *params),
        ).fetchall()
        by_pk = {int(row[0]): memory_from_row(row[1:]) for row in rows}
        ordered = [pk for pk, _ in ranked if pk in by_pk][:limit]
        hits = [_hit(by_pk[pk], score_of[pk], rank) for rank, pk in enumerate(ordered, 1)]
    if len(hits) < limit and len(index) > len(ranked):
        return exact(conn, config, query, condition, params, limit)
    return hits


def exact(
    conn: apsw.Connection,
    config: VectorConfig,
    query: Matrix,
    condition: str,
    params: list[object],
    limit: int,
) -> list[SearchHit]:
    """Exact nearest neighbours among the rows ``condition`` admits, computed by sqlite-vec."""
    blob = vectors.encode(config, query.reshape(1, -1))[0]
    value = vectors.sql_value(config)
    if config.storage is VectorStorage.BIT:
        distance = f"vec_distance_hamming(v.embedding, {value})"
    else:
        distance = f"vec_distance_cosine(v.embedding, {value})"
    rows: list[Row] = conn.execute(
        f"SELECT {MEMORY_COLUMNS}, {distance} AS d FROM memories m"
        f" JOIN {vectors.TABLE} v ON v.rowid = m.pk WHERE {condition} ORDER BY d LIMIT ?",
        (blob, *params, limit),
    ).fetchall()
    hits = []
    for rank, row in enumerate(rows, 1):
        d = float(row[MEMORY_COLUMN_COUNT])
        bit = config.storage is VectorStorage.BIT
        similarity = 1.0 - 2.0 * d / config.dimensions if bit else 1.0 - d
        hits.append(_hit(memory_from_row(row), similarity, rank))
    return hits


def _hit(memory: Memory, score: float, rank: int) -> SearchHit:
    return SearchHit(memory=memory, score=score, signals={"vector": Signal(rank=rank, score=score)})


__all__ = ["exact", "search"]
