"""The backup role of the PostgreSQL engine: the whole store, from one snapshot, as a SQLite
vault file.

Why a SQLite file and not ``pg_dump``: a backup is what ``memvault backup`` makes, verifies
(``database_file_problems`` runs SQLite's integrity check on the copy), lists in its manifest
and restores; a dump would fail that check and need a server, and a matching ``pg_dump``, to be
of any use. A SQLite file is the very file ``memvault backup`` makes of a SQLite vault, so
verify and restore work on it unchanged, and it opens anywhere without a server. The two
schemas hold the same records column for column (``0001_initial.sql`` was translated from the
SQLite one), so the copy is row for row; only what is derived differs and is made by the SQLite
engine's own code: the keyword index (FTS5, from the memories' text, as its repair does) and the
vectors (sqlite-vec, through its ``vectors.put``).

Every row is read in one ``REPEATABLE READ`` transaction: one snapshot, fixed by the first
query (the counts returned), while writers carry on. ``pinned`` runs right after that query.
The copy is written in one SQLite transaction into a file made by ``SqliteStore`` (its latest
schema), and is left as one self-contained file (journal mode DELETE), as the SQLite engine's
backup leaves it; a failed copy removes the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import apsw
from psycopg import sql

from memvault.core.errors import StorageError
from memvault.core.records import StoreStats
from memvault.core.vector_records import VectorConfig, VectorStorage
from memvault.storage.postgres import vectors as postgres_vectors
from memvault.storage.postgres.checks import count_of, read_config, vector_table
from memvault.storage.postgres.engine import Connection, PostgresEngine
from memvault.storage.postgres.health import store_stats
from memvault.storage.sqlite import memory_rows as sqlite_memory_rows
from memvault.storage.sqlite import migrations as sqlite_migrations
from memvault.storage.sqlite import vectors as sqlite_vectors
from memvault.storage.sqlite.connection import open_connection
from memvault.storage.sqlite.database_file import COMPANIONS
from memvault.storage.sqlite.store import SqliteStore

BATCH = 1_000  # rows per fetch and per executemany
# Not copied: each engine's own bookkeeping (the SQLite file has its own migrations), and the
# keyword rows, which are PostgreSQL's form of an index the copy builds in SQLite's.
_SKIP = {"schema_migrations", "memory_terms", sqlite_vectors.TABLE}
Progress = Callable[[int, int], None]


class PostgresBackup(PostgresEngine):
    def backup(
        self,
        target: Path,
        *,
        progress: Progress | None = None,
        pinned: Callable[[], None] | None = None,
    ) -> StoreStats:
        if target.exists():
            raise StorageError(f"backup target {target} exists already")
        SqliteStore(target).close()  # an empty vault at the SQLite engine's latest schema
        try:
            return self._read(lambda conn: self._copy(conn, target, progress, pinned))
        except BaseException:
            for path in (target, *(Path(f"{target}{s}") for s in COMPANIONS)):
                path.unlink(missing_ok=True)
            raise

    def _copy(
        self,
        conn: Connection,
        target: Path,
        progress: Progress | None,
        pinned: Callable[[], None] | None,
    ) -> StoreStats:
        counted = store_stats(conn, self.schema)  # the first query: it fixes the snapshot
        if pinned is not None:
            pinned()
        lite = open_connection(target, reader=False)
        try:
            tables = _tables_in_both(conn, lite, self.schema)
            table = vector_table(conn, self.schema)
            sizes = {name: count_of(conn, _count(name)) for name in tables}
            if table is not None:
                sizes[sqlite_vectors.TABLE] = count_of(
                    conn, sql.SQL("SELECT count(*) FROM {}").format(table)
                )
            ticker = _Ticker(progress, sum(sizes.values()))
            lite.execute("PRAGMA foreign_keys=OFF")  # rows arrive table by table, pks as they are
            with lite:  # one SQLite transaction: the file has all of it or none
                for name, columns in tables.items():
                    _copy_table(conn, lite, name, columns, ticker)
                _index_keywords(lite)
                config = read_config(conn)
                if config is not None and table is not None:
                    _copy_vectors(conn, lite, table, config, ticker)
            lite.execute("PRAGMA foreign_keys=ON")
            lite.execute("PRAGMA journal_mode=DELETE").fetchall()  # one self-contained file
        finally:
            lite.close()
        # the counts of the snapshot, and the schema version of the file they are now in (what
        # a backup's manifest records about its memvault.db), not the server store's own
        return replace(counted, schema_version=sqlite_migrations.LATEST_VERSION)


class _Ticker:
    """``progress(done, total)`` in rows, once per batch."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress, self._total, self._done = progress, total, 0
        self.tick(0)

    def tick(self, rows: int) -> None:
        self._done += rows
        if self._progress is not None:
            self._progress(min(self._done, self._total), self._total)


def _count(table: str) -> sql.Composed:
    return sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))


def _tables_in_both(conn: Connection, lite: apsw.Connection, schema: str) -> dict[str, list[str]]:
    """Each table of the store that the SQLite vault has too, with the columns both have, in
    the store's column order."""
    ours: dict[str, list[str]] = {}
    for table, column in conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = %s ORDER BY table_name, ordinal_position",
        (schema,),
    ):
        ours.setdefault(str(table), []).append(str(column))
    found: dict[str, list[str]] = {}
    for table, columns in ours.items():
        if table in _SKIP:
            continue
        theirs = {str(r[1]) for r in lite.execute("SELECT * FROM pragma_table_info(?)", (table,))}
        if theirs:
            found[table] = [c for c in columns if c in theirs]
    return found


def _batches(conn: Connection, query: sql.Composed) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``query`` from a server-side cursor, a batch at a time (a big table is never
    held whole in memory)."""
    with conn.cursor(name="memvault_backup") as cur:
        cur.execute(query)
        while rows := cur.fetchmany(BATCH):
            yield rows


def _sqlite_value(value: Any) -> Any:
    """A PostgreSQL value as the SQLite engine stores it: jsonb as its JSON text, booleans as
    0/1 (everything else, text, numbers and NULL, is the same)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _copy_table(
    conn: Connection, lite: apsw.Connection, table: str, columns: list[str], ticker: _Ticker
) -> None:
    names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    query = sql.SQL("SELECT {} FROM {} ORDER BY 1").format(names, sql.Identifier(table))
    quoted = ", ".join(f'"{c}"' for c in columns)
    insert = f'INSERT INTO "{table}"({quoted}) VALUES ({", ".join("?" * len(columns))})'
    lite.execute(f'DELETE FROM "{table}"')  # the new vault's own seed rows, if any
    for rows in _batches(conn, query):
        lite.executemany(insert, [tuple(_sqlite_value(v) for v in row) for row in rows])
        ticker.tick(len(rows))


def _index_keywords(lite: apsw.Connection) -> None:
    """The FTS5 index of every memory, built as the SQLite engine's repair builds it (chunks
    with their file's title, path and heading)."""
    rows: list[tuple[Any, ...]] = lite.execute(
        "SELECT m.pk, m.content, f.title, f.path, m.heading FROM memories m"
        " LEFT JOIN files f ON f.pk = m.chunk_of ORDER BY m.pk"
    ).fetchall()
    for pk, content, title, path, heading in rows:
        context = " ".join(filter(None, [title, path])) if path is not None else ""
        context = f"{context} {heading or ''}".strip()
        sqlite_memory_rows.index_text(lite, int(pk), str(content), context)
    lite.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")


def _copy_vectors(
    conn: Connection,
    lite: apsw.Connection,
    table: sql.Composed,
    config: VectorConfig,
    ticker: _Ticker,
) -> None:
    """Every vector into a vec0 table of the vault's element type (its config row came with
    the ``vector_config`` table): decoded by this engine (int8 codes scaled back by the
    config's scale, bits as ±1) and encoded by the SQLite engine, which turns them back into
    the same codes and bits."""
    import numpy as np

    element = {"float32": "float", "int8": "int8", "bit": "bit"}[config.storage.value]
    lite.execute(
        f"CREATE VIRTUAL TABLE {sqlite_vectors.TABLE}"
        f" USING vec0(embedding {element}[{config.dimensions}])"
    )
    postgres_vectors.use_types(conn)
    column = sql.SQL("embedding::text" if config.storage is VectorStorage.BIT else "embedding")
    query = sql.SQL("SELECT memory_pk, {} FROM {} ORDER BY memory_pk").format(column, table)
    for rows in _batches(conn, query):
        pks = [int(pk) for pk, _ in rows]
        matrix = np.stack([postgres_vectors.decode(config, value) for _, value in rows])
        sqlite_vectors.put(lite, config, pks, matrix)
        ticker.tick(len(rows))
