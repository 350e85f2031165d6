"""The MariaDB and PostgreSQL table sources' connections: read-only transactions, no lock
held between batches, and servers that are not there, refuse the login or go away."""

from __future__ import annotations

import socket

import psycopg
import pymysql
import pytest

from memvault.core.errors import StorageError
from memvault.importers.mapping import TableMapping
from memvault.importers.readers.tables import TableSource
from memvault.importers.source_kinds import SourceKind, open_table
from tests.importers.conftest import Database
from tests.importers.table_source_helpers import ids_of, read_all, small_table


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- transactions and locks --------------------------------------------------------------------


def test_the_transaction_is_read_only(sqldb: Database) -> None:
    mapping = small_table(sqldb)
    source = sqldb.source(mapping)
    assert isinstance(source, TableSource)
    insert = f"INSERT INTO {sqldb.quote(mapping.table)} (id, content) VALUES (99, 'sneaky')"
    with pytest.raises(StorageError) as caught, source.transaction() as cursor:
        cursor.execute(insert)
    assert "read" in str(caught.value).lower()
    assert "only" in str(caught.value).lower()
    assert (
        sqldb.execute(f"SELECT COUNT(*) FROM {sqldb.quote(mapping.table)} WHERE id = 99")[0][0] == 0
    )
    if sqldb.engine == "postgres":
        with source.transaction() as cursor:
            cursor.execute("SHOW transaction_read_only")
            assert cursor.fetchone()[0] == "on"
    # the source still reads after the refused write
    assert ids_of(read_all(source, batch_size=10)) == [str(i) for i in range(1, 7)]


def lock_exclusively(sqldb: Database, table: str) -> None:
    """Take the strongest table lock from another session, waiting at most about a second."""
    if sqldb.engine == "postgres":
        with sqldb.conn.transaction():
            sqldb.execute("SET LOCAL lock_timeout = '800ms'")
            sqldb.execute(f"LOCK TABLE {sqldb.quote(table)} IN ACCESS EXCLUSIVE MODE")
    else:
        sqldb.execute("SET SESSION lock_wait_timeout = 1")
        try:
            sqldb.execute(f"LOCK TABLES {sqldb.quote(table)} WRITE")
            sqldb.execute("UNLOCK TABLES")
        finally:
            sqldb.execute("SET SESSION lock_wait_timeout = DEFAULT")


def test_no_lock_is_held_between_batches(sqldb: Database) -> None:
    mapping = small_table(sqldb)
    source = sqldb.source(mapping)
    assert isinstance(source, TableSource)
    batches = source.batches(batch_size=2)
    first = next(batches)
    lock_exclusively(sqldb, mapping.table)  # would time out if the batch's transaction were open
    assert [b.checkpoint for b in [first, *batches]] == ["int:2", "int:4", "int:6"]

    # the check above can fail: inside a transaction that read the table, the lock waits
    with source.transaction() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {sqldb.quote(mapping.table)}")
        with pytest.raises((psycopg.errors.LockNotAvailable, pymysql.err.OperationalError)):
            lock_exclusively(sqldb, mapping.table)


# --- servers that are not there ----------------------------------------------------------------


def test_an_unreachable_server_is_a_clear_storage_error(sqldb: Database) -> None:
    port = closed_port()
    scheme = "mysql" if sqldb.engine == "mysql" else "postgresql"
    user = "root" if sqldb.engine == "mysql" else "postgres"
    url = f"{scheme}://{user}:s3cret-pw@127.0.0.1:{port}/test"
    source = open_table(
        SourceKind(sqldb.engine), url, TableMapping(table="notes", id="id", content="content")
    )
    assert source.name == f"{scheme}://127.0.0.1:{port}/test/notes"
    assert "s3cret" not in repr(source)
    for attempt in (source.count, lambda: next(source.batches(batch_size=10))):
        with pytest.raises(StorageError) as caught:
            attempt()
        message = str(caught.value)
        assert f"127.0.0.1:{port}" in message
        assert "cannot connect" in message
        assert "s3cret" not in message
        assert "\n" not in message
    source.close()


def test_a_wrong_password_is_reported_without_it(mysql: Database) -> None:
    mapping = small_table(mysql)
    url = "mysql://root:Wr0ng%2Fpw@127.0.0.1:3306/test"
    with pytest.raises(StorageError) as caught:
        mysql.source(mapping, url=url).count()
    message = str(caught.value)
    assert "Access denied" in message
    assert "Wr0ng" not in message


def backend_id(source: TableSource, engine: str) -> int:
    with source.transaction() as cursor:
        cursor.execute("SELECT CONNECTION_ID()" if engine == "mysql" else "SELECT pg_backend_pid()")
        value: int = cursor.fetchone()[0]
    return value


def test_a_server_that_goes_away_mid_read(sqldb: Database) -> None:
    mapping = small_table(sqldb)
    source = sqldb.source(mapping)
    assert isinstance(source, TableSource)
    batches = source.batches(batch_size=2)
    first = next(batches)
    pid = backend_id(source, sqldb.engine)
    if sqldb.engine == "mysql":
        sqldb.execute(f"KILL {pid}")
    else:
        sqldb.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(StorageError) as caught:
        next(batches)
    message = str(caught.value)
    assert message.startswith(("MariaDB/MySQL at 127.0.0.1:3306", "PostgreSQL at 127.0.0.1:5432"))
    assert f"reading {mapping.table}" in message
    assert "\n" not in message
    # the next call connects again, and the checkpoint resumes where the import stopped
    assert ids_of(read_all(source, batch_size=2, resume=first.checkpoint)) == ["3", "4", "5", "6"]
