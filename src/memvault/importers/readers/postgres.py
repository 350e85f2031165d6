"""A PostgreSQL table as an import source (psycopg 3).

``PostgresSource("postgresql://user:password@host:5432/db", mapping)``: URL query options
(``?sslmode=require``) go to libpq as they are. Every read is a ``BEGIN READ ONLY`` transaction
of its own; pgvector ``vector`` columns come back as their text form and are parsed here, so
pgvector's Python package is not needed. ``search`` ranks ``to_tsvector('english', content)``
matches of ``plainto_tsquery`` by ``ts_rank``: no index is needed, so it always answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg

from memvault.core.errors import InvalidInputError
from memvault.importers.mapping import TableMapping, column_ref
from memvault.importers.readers.tables import Layout, Statement, TableInfo, TableSource

CONNECT_TIMEOUT_S = 10
RESERVED = {"host", "hostaddr", "port", "dbname", "user", "password", "passfile", "autocommit"}


class PostgresSource(TableSource):
    engine = "PostgreSQL"
    schemes = {"postgresql": "postgresql", "postgres": "postgresql"}
    default_port = 5432

    def __init__(self, url: str, mapping: TableMapping) -> None:
        super().__init__(url, mapping)
        given = sorted(RESERVED & set(self._target.options))
        if given:
            raise InvalidInputError(
                f"{', '.join(given)}: give user, password, host, port and database in the URL "
                "itself, not as ?options"
            )
        self._conn: psycopg.Connection[Any] | None = None

    @staticmethod
    def quote(identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            t = self._target
            params: dict[str, Any] = {
                "connect_timeout": CONNECT_TIMEOUT_S,
                "application_name": "memvault-import",
                **t.options,
            }
            try:
                conn = psycopg.connect(
                    host=t.host,
                    port=t.port,
                    dbname=t.database,
                    user=t.user,
                    password=t.password,
                    autocommit=True,  # no transaction but the explicit ones below
                    **params,
                )
            except psycopg.Error as exc:
                raise self.storage_error(exc, "cannot connect") from exc
            conn.read_only = True  # every transaction() begins READ ONLY
            self._conn = conn
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        conn = self._connection()
        try:
            with conn.transaction(), conn.cursor() as cursor:
                yield cursor
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.OperationalError) or conn.broken:
                self.disconnect()
            raise self.storage_error(exc, f"reading {self._mapping.table}") from exc

    def disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(psycopg.Error):
                conn.close()

    def describe(self, table: tuple[str, ...]) -> TableInfo:
        names = [".".join(self.quote(p) for p in table)]
        if any(part != part.lower() for part in table):  # as PostgreSQL folds unquoted names
            names.append(".".join(self.quote(p.lower()) for p in table))
        for name in names:
            (rows,) = self._run(
                [
                    (
                        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) "
                        "FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) "
                        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                        (name,),
                    )
                ]
            )
            if rows:
                if name != names[0]:
                    self._table_parts = tuple(p.lower() for p in table)
                return TableInfo(columns={str(r[0]): str(r[1]) for r in rows})
        t = self._target
        raise InvalidInputError(
            f"no table {'.'.join(table)} in database {t.database} at {t.where()}"
        )

    def search_statement(self, layout: Layout, query: str, k: int) -> Statement | None:
        column, keys = column_ref(layout.mapping.content, "content")
        text = self.quote(column) + "::text"
        text_params: tuple[Any, ...] = ()
        if keys:
            text = f"({self.quote(column)}::jsonb #>> %s::text[])"
            text_params = (list(keys),)
        document = f"to_tsvector('english', {text})"
        wanted = "plainto_tsquery('english', %s)"
        key = self.quote(layout.id_column)
        sql = (
            f"SELECT {key} FROM {self.quoted_table()} WHERE {document} @@ {wanted} "
            f"ORDER BY ts_rank({document}, {wanted}) DESC, {key} LIMIT %s"
        )
        return sql, (*text_params, query, *text_params, query, k)
