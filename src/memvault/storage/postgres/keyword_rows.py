"""The keyword index's rows: a memory's text and code-aware aliases as one ``tsvector``.

The text is weight A and its aliases (``parse_config`` for ``parseConfig``, a chunk's title and
path) weight B, so a match on the words themselves ranks above a match on what was derived
from them, as FTS5's column weights do in the SQLite engine.

Words are split here, in Python, the way FTS5's ``unicode61 remove_diacritics 2`` tokenizer
splits them (runs of letters and digits; case and diacritics folded), and only then handed to
PostgreSQL, one word per space. PostgreSQL's own parser reads far more into text: it keeps
``src/app/parse_config.py`` whole as a file path, ``v2.3.1`` as a version and ``a.b.c`` as a
host name, so none of their parts would be found, and it does not fold diacritics. Given single
words, it only looks up each word's stem (``memvault_text``, the same Porter stemmer as FTS5's
``porter``), and every word takes one position, so phrases match exactly as in FTS5.

The aliases follow the text at a gap of one position (a lexeme no text can produce, deleted
afterwards): a phrase never runs from the last word of the text into the first alias, just as
an FTS5 phrase never spans two columns. ``length`` is the row's words in both parts, BM25's
document length as FTS5 counts it (``xColumnSize(-1)``).

PostgreSQL limits that FTS5 does not have, kept as they are: a word of 2047 bytes or more is not
indexed (it cannot be a tsvector lexeme), and positions past 16,383 all count as 16,383, so in a
text longer than that a phrase beyond it may not match and a word's count there is capped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import psycopg

from memvault.core.terms import index_aliases

Connection = psycopg.Connection[Any]
CONFIG = "memvault_text"
# Mapped to the `simple` dictionary, an e-mail address: words split here never contain "@".
GAP = "gap@memvault.invalid"
_TOKEN = re.compile(r"[^\W_]+")
MAX_WORD_BYTES = 2046  # PostgreSQL's parser skips longer words

_UPSERT = (
    "INSERT INTO memory_terms(memory_pk, terms, length)"
    f" VALUES (%s, ts_delete(setweight(to_tsvector('{CONFIG}', %s), 'A')"
    f" || setweight(to_tsvector('{CONFIG}', %s), 'B'), '{GAP}'), %s)"
    " ON CONFLICT (memory_pk) DO UPDATE SET terms = excluded.terms, length = excluded.length"
)


def words(text: str) -> list[str]:
    """``text`` as FTS5's unicode61 tokenizer reads it: lower case, without diacritics, split
    at everything but letters and digits."""
    folded = text.lower()
    if not folded.isascii():
        folded = folded.replace("\u00b5", "\u03bc")  # the micro sign folds to mu, as in FTS5
        decomposed = unicodedata.normalize("NFD", folded)
        folded = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
        )
    found = _TOKEN.findall(folded)
    if folded.isascii():
        return [w for w in found if len(w) <= MAX_WORD_BYTES]
    return [w for w in found if len(w.encode("utf-8")) <= MAX_WORD_BYTES]


def index_many(conn: Connection, rows: Sequence[tuple[int, str, str]]) -> None:
    """Index each ``(pk, text, context)``, replacing the memory's row if it has one."""
    if not rows:
        return
    params = []
    for pk, content, context in rows:
        aliases = index_aliases(content)
        if context:
            aliases = f"{aliases} {context} {index_aliases(context)}".strip()
        text_words, alias_words = words(content), words(aliases)
        length = len(text_words) + len(alias_words)
        params.append((pk, " ".join([*text_words, GAP]), " ".join(alias_words), length))
    with conn.cursor() as cur:
        cur.executemany(_UPSERT, params)
