"""The vectors of a vault's memories in pgvector, and the rows other roles' transactions share.

The table (``memory_vectors``) is made for the vault's model and storage when its vector config
is first set, since a pgvector column has a fixed width; before that there is none. Its rows go
with their memory by cascade.
"""

from __future__ import annotations

from typing import Any

import psycopg

Connection = psycopg.Connection[Any]
TABLE = "memory_vectors"


def table_exists(conn: Connection) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,)).fetchone()
    return bool(row and row[0])


def delete(conn: Connection, pk: int) -> None:
    """The memory's vector (its text changed: a vector of the old text would mislead)."""
    if table_exists(conn):
        conn.execute(f"DELETE FROM {TABLE} WHERE memory_pk = %s", (pk,))
