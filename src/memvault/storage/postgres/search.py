"""The keyword part of the search role of the PostgreSQL engine: BM25 over ``tsvector`` rows.

PostgreSQL's GIN index only finds the rows that match; ``keyword.py`` scores each of them,
within the common-word budget. As in the SQLite engine, the best-scored rows are taken first
and only then filtered (joining every match to ``memories`` for the filter cost as much as the
scoring, measured); only when the filters removed so many that fewer than ``limit`` survive, or
hits tied with the pool's edge may have been left out, is every match that passes the filters
ranked in one statement. Equal scores are ordered by id. (Vector search: ``vector_search.py``.)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from memvault.core.records import MemoryFilter
from memvault.core.terms import QueryTerm
from memvault.storage.postgres import keyword
from memvault.storage.postgres.engine import Connection, PostgresEngine
from memvault.storage.postgres.memory_rows import filter_sql
from memvault.storage.roles import Ranked

# Hits taken from the scores before filters apply; most searches need no second pass.
KEYWORD_CANDIDATES = (4, 64)  # (times the limit, at least)
_MATCHED = (
    "SELECT m.id, (SELECT count(*) FROM unnest(%s::tsquery[]) AS q WHERE t.terms @@ q)"
    " FROM memories m LEFT JOIN memory_terms t ON t.memory_pk = m.pk WHERE m.id = ANY(%s)"
)


class PostgresSearch(PostgresEngine):
    @functools.cached_property
    def _term_statistics(self) -> keyword.TermStatistics:
        """This process's phrase and index statistics for BM25 and the budget (``keyword.py``)."""
        return keyword.TermStatistics()

    def keyword_search(
        self, terms: Sequence[QueryTerm], where: MemoryFilter, *, limit: int
    ) -> list[Ranked]:
        if not terms or limit <= 0:
            return []
        condition, params = filter_sql(where)

        def job(conn: Connection) -> list[Ranked]:
            plan = keyword.scoring(conn, terms, self._term_statistics)
            if plan is None:
                return []
            factor, least = KEYWORD_CANDIDATES
            candidates = max(limit * factor, least)
            pool = keyword.best(conn, plan, candidates + 1)
            found = _filtered(conn, pool[:candidates], condition, params, limit)
            if len(pool) <= candidates:  # every match is in the pool
                return found
            # Every match left out scores at most the pool's edge; only when the last hit is
            # above it is the answer exact (hits tied with it may have been left out).
            if len(found) == limit and found[-1][1] > pool[candidates][1]:
                return found
            return keyword.ranked(conn, plan, condition, params, limit)

        return self._read(job)

    def matched_terms(self, terms: Sequence[QueryTerm], ids: Sequence[str]) -> dict[str, int]:
        """How many of ``terms`` each of ``ids`` matches (any of a term's phrases, in the text or
        the aliases), stemmed as the index is: one tsquery per term, tested on each row."""
        if not terms or not ids:
            return {}

        def job(conn: Connection) -> dict[str, int]:
            texts = [keyword.phrase_texts(term) for term in terms]
            found = self._term_statistics.queries(conn, [t for group in texts for t in group])
            queries = [[found[t] for t in group if found[t]] for group in texts]
            per_term = [keyword.any_of(group) for group in queries if group]
            return {
                str(row[0]): int(row[1]) for row in conn.execute(_MATCHED, (per_term, list(ids)))
            }

        return self._read(job)


def _filtered(
    conn: Connection,
    ranked: Sequence[tuple[int, float]],
    condition: str,
    params: Sequence[Any],
    limit: int,
) -> list[Ranked]:
    """The best ``limit`` of (pk, score) candidates that pass the filter, as (id, score) by
    score, then id."""
    if not ranked:
        return []
    score_of = dict(ranked)
    id_of = {
        int(row[0]): str(row[1])
        for row in conn.execute(
            f"SELECT m.pk, m.id FROM memories m WHERE m.pk = ANY(%s) AND {condition}",
            (list(score_of), *params),
        )
    }
    found = [(id_of[pk], score) for pk, score in score_of.items() if pk in id_of]
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))[:limit]
