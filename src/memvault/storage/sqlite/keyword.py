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
"""

from __future__ import annotations

from collections.abc import Sequence

import apsw

from memvault.core.terms import QueryTerm

# Most documents one query may score; ~1 µs each, so about 10 ms at worst.
SCORING_BUDGET = 10_000


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
    conn: apsw.Connection, terms: Sequence[QueryTerm], budget: int | None = None
) -> list[QueryTerm]:
    """``terms`` without the most common ones, until scoring them fits ``budget`` documents."""
    budget = SCORING_BUDGET if budget is None else budget
    if len(terms) < 2:
        return list(terms)
    total = conn.execute("SELECT max(pk) FROM memories").fetchone()  # instant; an upper bound
    if total is None or total[0] is None or int(total[0]) <= budget:
        return list(terms)
    tokenize = conn.fts5_tokenizer("porter", ["unicode61", "remove_diacritics", "2"])
    kept = list(terms)
    cost = {id(term): _document_frequency(conn, tokenize, term) for term in kept}
    while len(kept) > 1 and sum(cost[id(t)] for t in kept) > budget:
        kept.remove(max(kept, key=lambda t: cost[id(t)]))
    return kept


def _document_frequency(
    conn: apsw.Connection, tokenize: apsw.FTS5Tokenizer, term: QueryTerm
) -> int:
    """Upper bound of the documents matching ``term``: per phrase, its rarest token."""
    frequency = 0
    for phrase in term.alternatives:
        text = " ".join(phrase).encode("utf-8")
        tokens = [
            t[0] for t in tokenize(text, apsw.FTS5_TOKENIZE_QUERY, None, include_offsets=False)
        ]
        counts = [
            int(row[0]) if row else 0
            for row in (
                conn.execute(
                    "SELECT doc FROM memories_fts_vocab WHERE term = ?", (token,)
                ).fetchone()
                for token in tokens
            )
        ]
        frequency += min(counts, default=0)
    return frequency
