"""Keyword search over ``tsvector`` rows: query compilation, BM25 as FTS5 computes it, a budget.

User text never reaches PostgreSQL's query parser as written. ``parse_query`` has reduced it to
words, each phrase of a term is split again here as the index splits text (``keyword_rows``:
letters and digits only) and handed to ``phraseto_tsquery``, which parses no operators. The
tsquery texts PostgreSQL gives back are the only ones combined (``|``, parentheses), so ``!``,
``&``, ``:*``, quotes and NUL are only words, or nothing, and never an error.

Ranking is FTS5's ``bm25(memories_fts, 1.0, 0.5)`` computed in SQL: every phrase of the query
is scored on its own with k1 = 1.2, b = 0.75, idf = ln((N - n + 0.5) / (n + 0.5)) (at least
1e-6), where n is the number of rows holding the phrase; a phrase's frequency in a row is its
occurrences in the text plus half those in the aliases, which is exactly what ``ts_rank_cd``
with weights {A: 1, B: 0.5} and no normalisation returns for a single phrase; the document length
is the row's words in both parts against their mean over the index. (Not ``ts_rank``: it has no
idf, so a common word weighs as much as a rare one.) On SciFact, keyword only, this gives the
SQLite engine's nDCG@10 (0.694 both) and the same top hit for all 300 queries.

PostgreSQL cannot give these statistics for free as FTS5 does, and a GIN index cannot rank.
So the GIN index finds, for each phrase, the rows that hold it, and its BM25 part is computed
for each of them: the cost is the (phrase, row) pairs, ~1 µs each for short memories, ~2 µs for
SciFact's abstracts (measured). As in the SQLite engine, each query gets a scoring budget: while
the pairs to score exceed it, the most common term is dropped (its idf is near zero anyway; the
rarest term is always kept). Vaults smaller than the budget are never affected.

A phrase's row count is a count over the GIN index (at 10k memories, 0.5 ms for a word in 2 %
of them, 5 ms for one in nearly all; more for a phrase, whose rows are checked for positions),
and the row count and total length a scan of the index's rows (2 ms). Rather than a
term-statistics table kept on write, which would make every insert update a row per distinct
word, and concurrent writers queue on the rows of common words, each process keeps what it read
(``TermStatistics``) and reads a phrase again only when the vault has grown by a tenth since,
or after ten minutes, exactly as the SQLite engine keeps its ``fts5vocab`` reads; the row count
and total length are kept the same way. Below ``EXACT_BELOW`` rows
nothing is kept: every query reads exact statistics, as FTS5 does, at a cost under a millisecond.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg

from memvault.core.terms import QueryTerm
from memvault.storage.postgres.keyword_rows import CONFIG, words

Connection = psycopg.Connection[Any]
# Most (phrase, row) pairs one query may score: the SQLite engine's budget, ~10-20 ms here.
SCORING_BUDGET = 10_000
# Statistics read are read again once the vault grew by this share, or after this long.
STALE_GROWTH = 0.1
STALE_SECONDS = 600.0
EXACT_BELOW = 1_000  # rows; smaller vaults read exact statistics for every query
MAX_CACHED = 200_000  # phrases per cache; past it the cache starts over
K1, B = 1.2, 0.75
MIN_IDF = 1e-6
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Scoring:
    """What one ranking query needs: each phrase's tsquery and idf, and the mean length."""

    queries: list[str]
    idfs: list[float]
    mean_length: float


def phrase_texts(term: QueryTerm) -> list[str]:
    """The term's alternatives as the index splits words, each as one space-joined phrase."""
    found = (" ".join(words(" ".join(phrase))) for phrase in term.alternatives)
    return [text for text in found if text]


def any_of(queries: Sequence[str]) -> str:
    """One tsquery matching any of ``queries`` (tsquery texts as PostgreSQL printed them)."""
    return " | ".join(f"( {query} )" for query in queries)


def scoring(
    conn: Connection,
    terms: Sequence[QueryTerm],
    statistics: TermStatistics,
    budget: int = SCORING_BUDGET,
) -> Scoring | None:
    """The BM25 inputs for ``terms`` within ``budget``; None when no phrase can match."""
    texts = [phrase_texts(term) for term in terms]
    size = statistics.size(conn)
    found = statistics.phrases(conn, [t for group in texts for t in group], size)
    groups = [[found[t] for t in group if found[t][0]] for group in texts]
    kept = [group for group in groups if group]
    if not kept:
        return None
    if size > budget:
        cost = [sum(docs for _, docs in group) for group in kept]
        while len(kept) > 1 and sum(cost) > budget:
            drop = max(range(len(kept)), key=cost.__getitem__)
            del kept[drop], cost[drop]
    rows, total = statistics.corpus(conn, size)
    queries = [query for group in kept for query, _ in group]
    idfs = [_idf(rows, docs) for group in kept for _, docs in group]
    mean = total / rows if rows and total else 1.0
    return Scoring(queries, idfs, mean)


def _idf(rows: int, docs: int) -> float:
    idf = math.log((rows - docs + 0.5) / (docs + 0.5)) if rows > 0 else 0.0
    return idf if idf > 0 else MIN_IDF


# Each row's score: the sum over the phrases it holds of
# idf * (f * (k1 + 1) / (f + k1 * (1 - b + b * length / mean))), in FTS5's order of operations.
# One (phrase, row) pair per phrase's GIN match; OFFSET 0 keeps f from being computed twice.
_SCORES = (
    "SELECT x.memory_pk,"
    f" sum(x.idf * (x.f * {K1 + 1} / (x.f + {K1} * ({1 - B} + {B} * x.length / %s)))) AS score"
    " FROM (SELECT t.memory_pk, t.length::float8 AS length, u.idf,"
    "   ts_rank_cd('{0, 0, 0.5, 1}'::real[], t.terms, u.q, 0)::float8 AS f"
    "   FROM unnest(%s::tsquery[], %s::float8[]) AS u(q, idf)"
    "   JOIN memory_terms t ON t.terms @@ u.q OFFSET 0) x"
    " GROUP BY x.memory_pk"
)


def best(conn: Connection, plan: Scoring, limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best (pk, score) of all rows, by score; equal scores in no order."""
    rows = conn.execute(
        f"{_SCORES} ORDER BY score DESC LIMIT %s",
        (plan.mean_length, plan.queries, plan.idfs, limit),
    ).fetchall()
    return [(int(row[0]), float(row[1])) for row in rows]


def ranked(
    conn: Connection, plan: Scoring, condition: str, params: Sequence[Any], limit: int
) -> list[tuple[str, float]]:
    """The best ``limit`` rows that pass ``condition`` (on alias ``m``), by score, then id."""
    rows = conn.execute(
        f"SELECT m.id, s.score FROM ({_SCORES}) s JOIN memories m ON m.pk = s.memory_pk"
        f" WHERE {condition} ORDER BY s.score DESC, m.id LIMIT %s",
        (plan.mean_length, plan.queries, plan.idfs, *params, limit),
    ).fetchall()
    return [(str(row[0]), float(row[1])) for row in rows]


_QUERIES = f"SELECT u.p, phraseto_tsquery('{CONFIG}', u.p)::text FROM unnest(%s::text[]) AS u(p)"
_ROWS = (
    "SELECT (SELECT count(*) FROM memory_terms t WHERE t.terms @@ u.q)"
    " FROM unnest(%s::tsquery[]) WITH ORDINALITY AS u(q, n) ORDER BY u.n"
)


class TermStatistics:
    """Row counts of phrases and of the index as this process last read them, with how big the
    vault was then; thread-safe enough without a lock (a race only reads a phrase twice)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._queries: dict[str, str] = {}  # phrase -> its tsquery (stems never change)
        self._docs: dict[str, tuple[int, int, float]] = {}  # tsquery -> (rows, vault size, at)
        self._corpus: tuple[int, int, int, float] | None = None  # rows, words, size, at

    @staticmethod
    def size(conn: Connection) -> int:
        """The vault's size, from the index at once: an upper bound of its rows."""
        row = conn.execute("SELECT coalesce(max(memory_pk), 0) FROM memory_terms").fetchone()
        return int(row[0]) if row else 0

    def _fresh(self, size: int, then: int, read_at: float) -> bool:
        if size <= EXACT_BELOW:
            return False
        return size <= then + then * STALE_GROWTH and self._clock() - read_at <= STALE_SECONDS

    def queries(self, conn: Connection, texts: Sequence[str]) -> dict[str, str]:
        """Each phrase's tsquery, "" when it has no word PostgreSQL indexes."""
        found = {text: self._queries[text] for text in texts if text in self._queries}
        wanted = [text for text in dict.fromkeys(texts) if text not in found]
        if wanted:
            for text, query in conn.execute(_QUERIES, (wanted,)):
                found[str(text)] = str(query)
                _remember(self._queries, str(text), str(query))
        return found

    def phrases(
        self, conn: Connection, texts: Sequence[str], size: int
    ) -> dict[str, tuple[str, int]]:
        """Each phrase's tsquery and the rows that hold it (0 when the query is "")."""
        queries = self.queries(conn, texts)
        docs: dict[str, int] = {}
        for query in set(queries.values()):
            cached = self._docs.get(query)
            if not query:
                docs[query] = 0
            elif cached is not None and self._fresh(size, *cached[1:]):
                docs[query] = cached[0]
        wanted = [query for query in set(queries.values()) if query not in docs]
        if wanted:
            now = self._clock()
            counts = [int(row[0]) for row in conn.execute(_ROWS, (wanted,))]
            for query, count in zip(wanted, counts, strict=True):
                docs[query] = count
                _remember(self._docs, query, (count, size, now))
        return {text: (query, docs[query]) for text, query in queries.items()}

    def corpus(self, conn: Connection, size: int) -> tuple[int, int]:
        """The rows of the index and their words in all."""
        if self._corpus is not None and self._fresh(size, *self._corpus[2:]):
            return self._corpus[0], self._corpus[1]
        row = conn.execute("SELECT count(*), coalesce(sum(length), 0) FROM memory_terms").fetchone()
        rows, total = (int(row[0]), int(row[1])) if row else (0, 0)
        self._corpus = (rows, total, size, self._clock())
        return rows, total


def _remember(cache: dict[str, T], key: str, value: T) -> None:
    if len(cache) >= MAX_CACHED:  # a vault's vocabulary, not its queries, bounds the need
        cache.clear()
    cache[key] = value
