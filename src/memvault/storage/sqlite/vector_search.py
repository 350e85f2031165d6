"""Vector search over memories: the in-process index first, exact sqlite-vec when filters bite.

The index ranks every vector in the vault; filters (namespace, kind, tags, dates, superseded)
are applied afterwards on the candidates it returns. When a filter is so selective that too few
candidates survive, the search falls back to an exact scan in SQL with sqlite-vec's distance
functions, restricted to the rows the filter admits, so filtered searches never miss.
"""

from __future__ import annotations

import apsw

from memvault.core.records import MemoryFilter, SearchHit
from memvault.core.vector_records import VectorConfig, VectorStorage
from memvault.storage.sqlite import vectors
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.memory_rows import filter_sql, hydrate
from memvault.storage.sqlite.vector_index import Matrix, VectorIndex

_CANDIDATE_FACTOR = 2
_CANDIDATE_MIN = 50


def ranking(
    conn: apsw.Connection, index: VectorIndex, query: Matrix, where: MemoryFilter, limit: int
) -> list[tuple[str, float]]:
    """(memory id, cosine similarity) best first, filters applied."""
    index.sync(conn)
    config = vectors.read_config(conn)
    if config is None or limit <= 0:
        return []
    wanted = max(limit * _CANDIDATE_FACTOR, _CANDIDATE_MIN)
    ranked = index.search(query, wanted)
    condition, params = filter_sql(where)
    found: list[tuple[str, float]] = []
    if ranked:
        score_of = dict(ranked)
        marks = ",".join("?" * len(ranked))
        id_of = {
            int(row[0]): str(row[1])
            for row in conn.execute(
                f"SELECT m.pk, m.id FROM memories m WHERE m.pk IN ({marks}) AND {condition}",
                (*score_of, *params),
            )
        }
        # Equal scores fall back to the id, so a rebuilt index ranks exactly like the old one.
        found = sorted(
            ((id_of[pk], score) for pk, score in ranked if pk in id_of),
            key=lambda pair: (-pair[1], pair[0]),
        )[:limit]
    if len(found) < limit and len(index) > len(ranked):
        return exact(conn, config, query, condition, params, limit)
    return found


def search(
    conn: apsw.Connection, index: VectorIndex, query: Matrix, where: MemoryFilter, limit: int
) -> list[SearchHit]:
    return hydrate(conn, ranking(conn, index, query, where, limit), "vector")


def exact(
    conn: apsw.Connection,
    config: VectorConfig,
    query: Matrix,
    condition: str,
    params: list[object],
    limit: int,
) -> list[tuple[str, float]]:
    """Exact nearest neighbours among the rows ``condition`` admits, computed by sqlite-vec."""
    blob = vectors.encode(config, query.reshape(1, -1))[0]
    value = vectors.sql_value(config)
    if config.storage is VectorStorage.BIT:
        distance = f"vec_distance_hamming(v.embedding, {value})"
    else:
        distance = f"vec_distance_cosine(v.embedding, {value})"
    rows: list[Row] = conn.execute(
        f"SELECT m.id, {distance} AS d FROM memories m"
        f" JOIN {vectors.TABLE} v ON v.rowid = m.pk WHERE {condition} ORDER BY d, m.id LIMIT ?",
        (blob, *params, limit),
    ).fetchall()
    bit = config.storage is VectorStorage.BIT
    return [
        (str(row[0]), 1.0 - 2.0 * float(row[1]) / config.dimensions if bit else 1.0 - float(row[1]))
        for row in rows
    ]


__all__ = ["exact", "ranking", "search"]
