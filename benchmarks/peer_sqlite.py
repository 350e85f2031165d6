"""The floor of doing it by hand: one table, an FTS5 index and a sqlite-vec ``vec0`` table.

This is what a user who skips memvault writes in an afternoon: the text stored once (the FTS5
index is external-content, like memvault's contentless one), the same tokenizer and BM25
weights as memvault, batches inserted in one transaction each, a BM25 ``MATCH`` for keywords,
sqlite-vec's own exact KNN for vectors and reciprocal-rank fusion of the two for hybrid. It has
no ids, no namespaces, no dedup, no jobs, no history: the price of those is what the ratios show.
"""

from __future__ import annotations

import re
from pathlib import Path

import apsw
import numpy as np
import numpy.typing as npt
import sqlite_vec

Matrix = npt.NDArray[np.float32]
Hit = tuple[int, str]  # (row of the corpus, text): what a caller needs to show a hit

RRF_K = 60.0  # the usual constant (memvault's own RRF default too)
_WORD = re.compile(r"\w+")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs(id INTEGER PRIMARY KEY, content TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(
    content, content='docs', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_vec USING vec0(embedding float[{dims}]);
"""


def match_query(text: str) -> str:
    """Every word of the query, quoted, OR-ed: the plain way to ask FTS5 for any of them."""
    words = _WORD.findall(text)
    return " OR ".join(f'"{word}"' for word in words)


class PlainStore:
    """rowid = the corpus row + 1 (rowid 0 is legal but unusual; ``row`` maps back)."""

    def __init__(self, path: Path, dimensions: int) -> None:
        self.path = path
        self.conn = apsw.Connection(str(path))
        self.conn.enable_load_extension(True)
        self.conn.load_extension(sqlite_vec.loadable_path())
        self.conn.enable_load_extension(False)
        # memvault's own connection settings, so neither side wins on pragmas
        self.conn.execute("PRAGMA journal_mode=WAL").fetchall()
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA temp_store=MEMORY")
        self.conn.execute("PRAGMA cache_size=-32768")
        self.conn.execute(_SCHEMA.format(dims=dimensions))

    def insert(self, first_row: int, texts: list[str], vectors: Matrix) -> None:
        """One batch, one transaction: the text, its keyword index and its vector."""
        ids = range(first_row + 1, first_row + 1 + len(texts))
        with self.conn:
            self.conn.executemany(
                "INSERT INTO docs(id, content) VALUES (?, ?)", zip(ids, texts, strict=True)
            )
            self.conn.executemany(
                "INSERT INTO docs_fts(rowid, content) VALUES (?, ?)",
                zip(ids, texts, strict=True),
            )
            self.conn.executemany(
                "INSERT INTO docs_vec(rowid, embedding) VALUES (?, ?)",
                ((i, v.tobytes()) for i, v in zip(ids, vectors, strict=True)),
            )

    def keyword_ids(self, text: str, k: int) -> list[int]:
        query = match_query(text)
        if not query:
            return []
        rows = self.conn.execute(
            "SELECT rowid FROM docs_fts WHERE docs_fts MATCH ? ORDER BY bm25(docs_fts) LIMIT ?",
            (query, k),
        )
        return [int(r[0]) for r in rows]

    def vector_ids(self, vector: Matrix, k: int) -> list[int]:
        rows = self.conn.execute(
            "SELECT rowid FROM docs_vec WHERE embedding MATCH ? AND k = ? ORDER BY distance",
            (vector.tobytes(), k),
        )
        return [int(r[0]) for r in rows]

    def hydrate(self, ids: list[int]) -> list[Hit]:
        """The hits' texts in the order given (one query for all of them)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        found = dict(self.conn.execute(f"SELECT id, content FROM docs WHERE id IN ({marks})", ids))
        return [(i - 1, str(found[i])) for i in ids]

    def keyword(self, text: str, k: int) -> list[Hit]:
        return self.hydrate(self.keyword_ids(text, k))

    def vector(self, vector: Matrix, k: int) -> list[Hit]:
        return self.hydrate(self.vector_ids(vector, k))

    def hybrid(self, text: str, vector: Matrix, k: int, depth: int) -> list[Hit]:
        """Reciprocal-rank fusion of each signal's top ``depth``."""
        score: dict[int, float] = {}
        for ids in (self.keyword_ids(text, depth), self.vector_ids(vector, depth)):
            for rank, i in enumerate(ids, start=1):
                score[i] = score.get(i, 0.0) + 1.0 / (RRF_K + rank)
        best = sorted(score, key=lambda i: -score[i])[:k]
        return self.hydrate(best)

    def close(self) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()

    def file_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
