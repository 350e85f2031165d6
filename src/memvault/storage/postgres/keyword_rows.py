"""The keyword index's rows: a memory's text and code-aware aliases as one ``tsvector``.

The text is weight A and its aliases (``parse_config`` for ``parseConfig``, a chunk's title and
path) weight B, so a match on the words themselves ranks above a match on what was derived
from them, as FTS5's column weights do in the SQLite engine. ``length`` is the word count of the
text, BM25's document length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import psycopg

from memvault.core.terms import index_aliases

Connection = psycopg.Connection[Any]
CONFIG = "memvault_text"
_WORD = re.compile(r"\w+")

_UPSERT = (
    "INSERT INTO memory_terms(memory_pk, terms, length)"
    f" VALUES (%s, setweight(to_tsvector('{CONFIG}', %s), 'A')"
    f" || setweight(to_tsvector('{CONFIG}', %s), 'B'), %s)"
    " ON CONFLICT (memory_pk) DO UPDATE SET terms = excluded.terms, length = excluded.length"
)


def index_many(conn: Connection, rows: Sequence[tuple[int, str, str]]) -> None:
    """Index each ``(pk, text, context)``, replacing the memory's row if it has one."""
    if not rows:
        return
    params = []
    for pk, content, context in rows:
        aliases = index_aliases(content)
        if context:
            aliases = f"{aliases} {context} {index_aliases(context)}".strip()
        params.append((pk, content, aliases, len(_WORD.findall(content))))
    with conn.cursor() as cur:
        cur.executemany(_UPSERT, params)
