"""A MariaDB or MySQL table as an import source (PyMySQL).

``MysqlSource("mysql://user:password@host:3306/db", mapping)`` (``mariadb://`` works too).
The session runs in UTC, so ``TIMESTAMP`` columns arrive as UTC; ``DATETIME`` values carry no
zone and are taken as UTC. Every read is a ``START TRANSACTION READ ONLY`` of its own.
``search`` uses ``MATCH … AGAINST`` in natural language mode when a FULLTEXT index covers the
content column (the index's own column list, the content alone if such an index exists);
without one the source cannot search and says so (None).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pymysql
import pymysql.cursors

from memvault.core.errors import InvalidInputError
from memvault.importers.mapping import TableMapping, column_ref
from memvault.importers.readers.tables import Layout, Statement, TableInfo, TableSource

CONNECT_TIMEOUT_S = 10


class MysqlSource(TableSource):
    engine = "MariaDB/MySQL"
    schemes = {"mysql": "mysql", "mariadb": "mysql", "mysql+pymysql": "mysql"}
    default_port = 3306

    def __init__(self, url: str, mapping: TableMapping) -> None:
        super().__init__(url, mapping)
        if self._target.options:
            raise InvalidInputError("MariaDB/MySQL URLs take no ?options")
        self._conn: pymysql.connections.Connection[Any] | None = None

    @staticmethod
    def quote(identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def _connection(self) -> pymysql.connections.Connection[Any]:
        if self._conn is None or not self._conn.open:
            t = self._target
            try:
                self._conn = pymysql.connect(
                    host=t.host,
                    port=t.port,
                    user=t.user,
                    password=t.password or "",
                    database=t.database,
                    charset="utf8mb4",
                    autocommit=True,  # no transaction but the explicit ones below
                    connect_timeout=CONNECT_TIMEOUT_S,
                    init_command="SET time_zone = '+00:00'",
                )
            except pymysql.MySQLError as exc:
                raise self.storage_error(exc, "cannot connect") from exc
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[pymysql.cursors.Cursor]:
        conn = self._connection()
        try:
            cursor = conn.cursor()
            try:
                cursor.execute("START TRANSACTION READ ONLY")
                yield cursor
                conn.commit()
            except BaseException:
                self._rollback(conn)
                raise
            finally:
                cursor.close()
        except pymysql.MySQLError as exc:
            if not conn.open:
                self.disconnect()
            raise self.storage_error(exc, f"reading {self._mapping.table}") from exc

    def _rollback(self, conn: pymysql.connections.Connection[Any]) -> None:
        try:
            conn.rollback()
        except pymysql.MySQLError:
            self.disconnect()

    def disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and conn.open:
            with suppress(pymysql.MySQLError):
                conn.close()

    def describe(self, table: tuple[str, ...]) -> TableInfo:
        schema = table[0] if len(table) == 2 else self._target.database
        where = "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s"
        columns, fulltext = self._run(
            [
                (
                    "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
                    f"{where} ORDER BY ORDINAL_POSITION",
                    (schema, table[-1]),
                ),
                (
                    "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
                    f"{where} AND INDEX_TYPE = 'FULLTEXT' ORDER BY INDEX_NAME, SEQ_IN_INDEX",
                    (schema, table[-1]),
                ),
            ]
        )
        if not columns:
            raise InvalidInputError(
                f"no table {'.'.join(table)} in database {schema} at {self._target.where()}"
            )
        indexes: dict[str, list[str]] = {}
        for index, column in fulltext:
            indexes.setdefault(str(index), []).append(str(column))
        return TableInfo(
            columns={str(r[0]): str(r[1]) for r in columns},
            fulltext=tuple(tuple(cols) for cols in indexes.values()),
        )

    def search_statement(self, layout: Layout, query: str, k: int) -> Statement | None:
        column, keys = column_ref(layout.mapping.content, "content")
        if keys:
            return None  # a FULLTEXT index cannot cover a value inside JSON
        covering = [cols for cols in layout.fulltext if column in cols]
        if not covering:
            return None
        exact = [cols for cols in covering if cols == (column,)]
        chosen = (exact or covering)[0]
        match = (
            f"MATCH({', '.join(self.quote(c) for c in chosen)}) "
            "AGAINST (%s IN NATURAL LANGUAGE MODE)"
        )
        key = self.quote(layout.id_column)
        sql = (
            f"SELECT {key} FROM {self.quoted_table()} WHERE {match} "
            f"ORDER BY {match} DESC, {key} LIMIT %s"
        )
        return sql, (query, query, k)
