"""The search role of the SQLite engine: BM25 over FTS5, and nearest vectors.

Keyword search asks FTS5 for its own top hits by rank (it prunes), then applies the filters;
only when the filters removed so many that fewer than ``limit`` survive does it rank every
match. Vector search asks the in-process index (``vector_index.py``) for candidates and filters
them; when a filter is so selective that too few survive, it falls back to an exact scan in SQL
with sqlite-vec's distance functions, restricted to the rows the filter admits, so filtered
searches never miss. Equal scores are ordered by id, so a rebuilt index ranks exactly like the
old one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import apsw

from memvault.core.records import MemoryFilter
from memvault.core.terms import QueryTerm
from memvault.core.vector_records import VectorConfig, VectorStorage
from memvault.storage.roles import Ranked
from memvault.storage.sqlite import keyword, vectors
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.engine import SqliteEngine
from memvault.storage.sqlite.memory_rows import filter_sql

if TYPE_CHECKING:
    from memvault.storage.sqlite.vector_index import Matrix

# BM25 weights per column: the text itself, then the code-aware aliases. Called directly: the
# same weights through FTS5's configured `rank` measured ~50 % slower per query.
BM25 = "bm25(memories_fts, 1.0, 0.5)"
# Hits taken from an index before filters apply; most searches need no second pass.
KEYWORD_CANDIDATES = (4, 64)  # (times the limit, at least)
VECTOR_CANDIDATES = (2, 50)
VECTOR_WIDENING = (2, 8, 32)  # times the limit


class SqliteSearch(SqliteEngine):
    @functools.cached_property
    def _term_statistics(self) -> keyword.TermStatistics:
        """This process's document frequencies for the keyword budget (see ``keyword.py``)."""
        return keyword.TermStatistics()

    def keyword_search(
        self, terms: Sequence[QueryTerm], where: MemoryFilter, *, limit: int
    ) -> list[Ranked]:
        if not terms or limit <= 0:
            return []
        condition, params = filter_sql(where)

        def job(conn: apsw.Connection) -> list[Ranked]:
            kept = keyword.within_budget(conn, terms, statistics=self._term_statistics)
            match = keyword.compile_match(kept)
            factor, least = KEYWORD_CANDIDATES
            candidates = max(limit * factor, least)
            pool: list[Row] = conn.execute(
                f"SELECT rowid, -{BM25} AS score FROM memories_fts WHERE memories_fts MATCH ?"
                " ORDER BY score DESC LIMIT ?",
                (match, candidates + 1),
            ).fetchall()
            found = _filtered(conn, pool[:candidates], condition, params, limit)
            if len(pool) <= candidates:  # every match is in the pool
                return found
            # Every match left out scores at most the pool's edge. Hits tied with it may have
            # been left out in rowid order, not id order: only when the last hit is above the
            # edge is the answer exact; else rank every match, as when filters leave too few.
            if len(found) == limit and found[-1][1] > float(pool[candidates][1]):
                return found
            rows: list[Row] = conn.execute(
                f"SELECT m.id, -{BM25} AS score FROM memories_fts"
                " JOIN memories m ON m.pk = memories_fts.rowid"
                f" WHERE memories_fts MATCH ? AND {condition}"
                " ORDER BY score DESC, m.id LIMIT ?",
                (match, *params, limit),
            ).fetchall()
            return [(str(row[0]), float(row[1])) for row in rows]

        return self._read(job)

    def matched_terms(self, terms: Sequence[QueryTerm], ids: Sequence[str]) -> dict[str, int]:
        """How many of ``terms`` each of ``ids`` matches, with FTS5's own tokenizer and stemming:
        one MATCH of all terms over the rows asked about, the auxiliary function
        ``memvault_phrases`` (keyword.matched_phrases) naming the phrases each row holds."""
        if not terms or not ids:
            return {}
        owners = keyword.phrase_owners(terms)

        def job(conn: apsw.Connection) -> dict[str, int]:
            marks = ",".join("?" * len(ids))
            id_of = {
                int(row[0]): str(row[1])
                for row in conn.execute(
                    f"SELECT pk, id FROM memories WHERE id IN ({marks})", tuple(ids)
                )
            }
            counts = dict.fromkeys(id_of.values(), 0)
            if not id_of:
                return counts
            # The rowids as literals: FTS5 then visits only these rows, not every match.
            rows = ",".join("?" * len(id_of))
            for rowid, phrases in conn.execute(
                "SELECT rowid, memvault_phrases(memories_fts) FROM memories_fts"
                f" WHERE memories_fts MATCH ? AND rowid IN ({rows})",
                (keyword.compile_match(terms), *id_of),
            ):
                found = {owners[int(p)] for p in str(phrases).split(",") if p}
                counts[id_of[int(rowid)]] = len(found)
            return counts

        return self._read(job)

    def vector_search(self, query: Matrix, where: MemoryFilter, *, limit: int) -> list[Ranked]:
        condition, params = filter_sql(where)

        def job(conn: apsw.Connection) -> list[Ranked]:
            self._index.sync(conn)
            config = vectors.read_config(conn)
            if config is None or limit <= 0:
                return []
            # Candidates from the index, widened while filters leave too few (messages or
            # other namespaces may hold most vectors); an exact scan in SQL only after that.
            for factor in VECTOR_WIDENING:
                wanted = max(limit * factor, VECTOR_CANDIDATES[1])
                ranked = self._index.search(query, wanted)
                found = _filtered(conn, ranked, condition, params, limit)
                if len(found) >= limit or len(ranked) >= len(self._index):
                    return found
            return exact(conn, config, query, condition, params, limit)

        return self._read(job)


def _filtered(
    conn: apsw.Connection,
    ranked: Sequence[tuple[int, float]],
    condition: str,
    params: list[Any],
    limit: int,
) -> list[Ranked]:
    """The best ``limit`` of (pk, score) candidates that pass the filter, as (id, score) by
    score, then id."""
    if not ranked:
        return []
    # A score that is not finite (a damaged vector) ranks nothing: it is left out.
    score_of = {int(pk): float(score) for pk, score in ranked if math.isfinite(score)}
    if not score_of:
        return []
    marks = ",".join("?" * len(score_of))
    id_of = {
        int(row[0]): str(row[1])
        for row in conn.execute(
            f"SELECT m.pk, m.id FROM memories m WHERE m.pk IN ({marks}) AND {condition}",
            (*score_of, *params),
        )
    }
    found = [(id_of[pk], score) for pk, score in score_of.items() if pk in id_of]
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))[:limit]


def exact(
    conn: apsw.Connection,
    config: VectorConfig,
    query: Matrix,
    condition: str,
    params: list[object],
    limit: int,
) -> list[Ranked]:
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
    found = [
        (str(row[0]), 1.0 - 2.0 * float(row[1]) / config.dimensions if bit else 1.0 - float(row[1]))
        for row in rows
        if row[1] is not None
    ]
    return [(memory_id, score) for memory_id, score in found if math.isfinite(score)]
