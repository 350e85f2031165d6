"""FTS5 keyword search: compiling query terms into a MATCH, within a scoring budget.

User text never reaches FTS5's query parser as written: ``memvault.core.terms.parse_query`` has
already reduced it to words, and here every word is emitted inside double quotes, which FTS5
treats as a literal string. ``NEAR(``, ``*``, ``AND``, ``-`` and unbalanced quotes are therefore
only words (or nothing) and can never raise a syntax error.

FTS5 scores every document that matches any word of an OR query; it cannot skip documents the
way tantivy or Lucene do. In a large vault a query with a very common word therefore costs tens
of milliseconds (61 ms at 100k, measured). So each query gets a scoring budget: the words are
looked up in the term statistics (``fts5vocab``), and while the documents to score exceed the
budget the most common word is dropped. Such a word's BM25 weight is close to zero anyway (its
IDF is the log of a ratio near 1), and the rarest word is always kept. Vaults smaller than the
budget are never affected.

A term's frequency costs a walk of its posting list (``fts5vocab``: ~1-2 ms for a common word at
100k, the very words the budget exists for), so each process keeps the frequencies it has read
(``TermStatistics``) and reads a token again only when the vault has grown by a tenth since, or
after ten minutes (deletes and edits only make a cached frequency an overestimate, and only for
that long). A search then costs one instant ``max(pk)`` plus a lookup per token never seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import apsw

from memvault.core.terms import QueryTerm

# Most documents one query may score; ~1 µs each, so about 10 ms at worst.
SCORING_BUDGET = 10_000
# A cached document frequency is read again once the vault grew by this share, or after this long.
STALE_GROWTH = 0.1
STALE_SECONDS = 600.0
MAX_CACHED = 200_000  # tokens (and phrases) per cache; past it the cache starts over
T = TypeVar("T")


def _quote(phrase: Sequence[str]) -> str:
    return '"' + " ".join(word.replace('"', '""') for word in phrase) + '"'


def compile_match(terms: Sequence[QueryTerm]) -> str:
    groups = []
    for term in terms:
        alternatives = [_quote(phrase) for phrase in term.alternatives]
        groups.append(
            alternatives[0] if len(alternatives) == 1 else f"({' OR '.join(alternatives)})"
        )
    return " OR ".join(groups)


def phrase_owners(terms: Sequence[QueryTerm]) -> list[int]:
    """For each phrase of ``compile_match(terms)``, in FTS5's order, the index of its term."""
    return [n for n, term in enumerate(terms) for _ in term.alternatives]


def matched_phrases(api: apsw.FTS5ExtensionApi, *_args: object) -> str:
    """FTS5 auxiliary function ``memvault_phrases(memories_fts)``: the phrases of the query the
    current row contains, as "0,3". One query then says which terms each hit matches."""
    return ",".join(str(p) for p in range(api.phrase_count) if api.phrase_columns(p))


def within_budget(
    conn: apsw.Connection,
    terms: Sequence[QueryTerm],
    budget: int | None = None,
    statistics: TermStatistics | None = None,
) -> list[QueryTerm]:
    """``terms`` without the most common ones, until scoring them fits ``budget`` documents."""
    budget = SCORING_BUDGET if budget is None else budget
    if len(terms) < 2:
        return list(terms)
    total = conn.execute("SELECT max(pk) FROM memories").fetchone()  # instant; an upper bound
    if total is None or total[0] is None or int(total[0]) <= budget:
        return list(terms)
    statistics = TermStatistics() if statistics is None else statistics
    kept = list(terms)
    cost = {id(term): statistics.term_documents(conn, term, int(total[0])) for term in kept}
    while len(kept) > 1 and sum(cost[id(t)] for t in kept) > budget:
        kept.remove(max(kept, key=lambda t: cost[id(t)]))
    return kept


class TermStatistics:
    """Document frequencies of index tokens as this process last read them, with how big the
    vault was then; thread-safe enough without a lock (a race only reads a token twice)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._docs: dict[str, tuple[int, int, float]] = {}  # token -> (docs, vault size, read at)
        self._tokens: dict[str, list[str]] = {}  # phrase text -> its index tokens

    def term_documents(self, conn: apsw.Connection, term: QueryTerm, size: int) -> int:
        """Upper bound of the documents matching ``term``: per phrase, its rarest token."""
        return sum(
            min(
                (self._documents(conn, token, size) for token in self._tokenized(conn, phrase)),
                default=0,
            )
            for phrase in term.alternatives
        )

    def _tokenized(self, conn: apsw.Connection, phrase: tuple[str, ...]) -> list[str]:
        text = " ".join(phrase)
        tokens = self._tokens.get(text)
        if tokens is None:
            tokenize = conn.fts5_tokenizer("porter", ["unicode61", "remove_diacritics", "2"])
            found = tokenize(
                text.encode("utf-8"), apsw.FTS5_TOKENIZE_QUERY, None, include_offsets=False
            )
            tokens = [str(t[0]) for t in found]
            self._remember(self._tokens, text, tokens)
        return tokens

    def _documents(self, conn: apsw.Connection, token: str, size: int) -> int:
        now = self._clock()
        cached = self._docs.get(token)
        if cached is not None:
            docs, then, read_at = cached
            if size <= then + then * STALE_GROWTH and now - read_at <= STALE_SECONDS:
                return docs
        row = conn.execute("SELECT doc FROM memories_fts_vocab WHERE term = ?", (token,)).fetchone()
        docs = int(row[0]) if row else 0
        self._remember(self._docs, token, (docs, size, now))
        return docs

    @staticmethod
    def _remember(cache: dict[str, T], key: str, value: T) -> None:
        if len(cache) >= MAX_CACHED:  # a vault's vocabulary, not its queries, bounds the need
            cache.clear()
        cache[key] = value
