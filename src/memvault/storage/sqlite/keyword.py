"""FTS5 keyword search: compiling query terms and ranking with BM25.

User text never reaches FTS5's query parser as written: ``memvault.text.parse_query`` has already
reduced it to words, and here every word is emitted inside double quotes, which FTS5 treats as a
literal string. ``NEAR(``, ``*``, ``AND``, ``-`` and unbalanced quotes are therefore only words
(or nothing) and can never raise a syntax error.
"""

from __future__ import annotations

from collections.abc import Sequence

import apsw

from memvault.models import MemoryFilter, SearchHit, Signal
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.memory_rows import (
    MEMORY_COLUMN_COUNT,
    MEMORY_COLUMNS,
    filter_sql,
    memory_from_row,
)
from memvault.text import QueryTerm

# BM25 weights per column: the text itself, then the code-aware aliases. Called directly: the
# same weights through FTS5's configured `rank` measured ~50 % slower per query.
BM25 = "bm25(memories_fts, 1.0, 0.5)"
# Hits taken from the index before filters apply; most searches need no second pass.
_CANDIDATE_FACTOR = 4
_CANDIDATE_MIN = 64


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


def search(
    conn: apsw.Connection, terms: Sequence[QueryTerm], where: MemoryFilter, limit: int
) -> list[SearchHit]:
    if not terms or limit <= 0:
        return []
    match = compile_match(terms)
    condition, params = filter_sql(where)
    # First pass: FTS5's own top-N by rank (it prunes), then filter. If filters removed so many
    # candidates that fewer than ``limit`` survive, rank every match instead.
    candidates = max(limit * _CANDIDATE_FACTOR, _CANDIDATE_MIN)
    rows: list[Row] = conn.execute(
        f"SELECT {MEMORY_COLUMNS}, c.score FROM"
        f" (SELECT rowid AS pk, -{BM25} AS score FROM memories_fts"
        "  WHERE memories_fts MATCH ? ORDER BY score DESC LIMIT ?) c"
        f" JOIN memories m ON m.pk = c.pk WHERE {condition} ORDER BY c.score DESC LIMIT ?",
        (match, candidates, *params, limit),
    ).fetchall()
    if len(rows) < limit:
        total = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)",
            (match, candidates + 1),
        ).fetchone()
        if total and total[0] > candidates:
            rows = conn.execute(
                f"SELECT {MEMORY_COLUMNS}, -{BM25} AS score FROM memories_fts"
                " JOIN memories m ON m.pk = memories_fts.rowid"
                f" WHERE memories_fts MATCH ? AND {condition}"
                " ORDER BY score DESC LIMIT ?",
                (match, *params, limit),
            ).fetchall()
    return [
        SearchHit(
            memory=memory_from_row(row),
            score=float(row[MEMORY_COLUMN_COUNT]),
            signals={"keyword": Signal(rank=i, score=float(row[MEMORY_COLUMN_COUNT]))},
        )
        for i, row in enumerate(rows, start=1)
    ]
