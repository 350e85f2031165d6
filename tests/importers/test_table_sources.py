"""The MariaDB and PostgreSQL table sources against the real servers, with real rows."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import pymysql
import pytest

from memvault.errors import InvalidInputError, StorageError
from memvault.ids import format_timestamp
from memvault.importers.mapping import TableMapping, load_mapping
from memvault.importers.source import Source, SourceBatch, SourceFailure, SourceRecord
from memvault.storage.sources import open_table_source
from memvault.storage.sources.tables import TableSource
from tests.importers.conftest import Database

BASE = datetime(2024, 1, 1, tzinfo=UTC)


def read_all(source: Source, batch_size: int, resume: str | None = None) -> list[SourceBatch]:
    return list(source.batches(batch_size=batch_size, resume=resume))


def ids_of(batches: list[SourceBatch]) -> list[str]:
    return [r.source_id for b in batches for r in b.records]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- 10,000 rows, every field ------------------------------------------------------------------

BULK_COLUMNS = (
    "id INTEGER PRIMARY KEY, body {text}, kind VARCHAR(20), ns VARCHAR(40), tags {text}, "
    "created {ts}, updated {ts}, importance {float}, confidence {float}, title VARCHAR(100), "
    "extra {json}"
)
BULK_MAPPING = dict(
    id="id",
    content="body",
    kind="kind",
    namespace="ns",
    tags="tags",
    created_at="created",
    updated_at="updated",
    importance="importance",
    confidence="confidence",
    metadata=("title",),
    metadata_json="extra",
)


def bulk_row(i: int) -> tuple[object, ...]:
    created = BASE + timedelta(minutes=i, microseconds=i)
    return (
        i,
        f"memory number {i} about topic {i % 17}",
        ("Fact", "decision", "note")[i % 3],
        f"team-{i % 5}" if i % 11 else None,
        "alpha, beta" if i % 2 else '["gamma", "delta", "gamma"]',
        created,
        None if i % 7 == 0 else created + timedelta(hours=1),
        (i % 10) / 10,
        0.5,
        f"Title {i}",
        json.dumps({"n": i, "src": "bulk", "deep": {"even": i % 2 == 0}}),
    )


def expected_record(i: int) -> SourceRecord:
    row = bulk_row(i)
    created = row[5]
    assert isinstance(created, datetime)
    return SourceRecord(
        source_id=str(i),
        content=f"memory number {i} about topic {i % 17}",
        kind=("fact", "decision", "note")[i % 3],
        namespace=f"team-{i % 5}" if i % 11 else "imported",
        tags=("alpha", "beta") if i % 2 else ("gamma", "delta"),
        importance=(i % 10) / 10,
        confidence=0.5,
        created_at=format_timestamp(created),
        updated_at=None if i % 7 == 0 else format_timestamp(created + timedelta(hours=1)),
        metadata={"n": i, "src": "bulk", "deep": {"even": i % 2 == 0}, "title": f"Title {i}"},
    )


def bulk_table(sqldb: Database, count: int = 10_000) -> TableMapping:
    table = sqldb.create(BULK_COLUMNS)
    names = ["id", "body", "kind", "ns", "tags", "created", "updated"]
    names += ["importance", "confidence", "title", "extra"]
    sqldb.insert(table, names, [bulk_row(i) for i in range(1, count + 1)])
    return TableMapping(table=table, default_namespace="imported", **BULK_MAPPING)  # type: ignore[arg-type]


def test_reads_10000_rows_in_batches_with_every_field_mapped(sqldb: Database) -> None:
    source = sqldb.source(bulk_table(sqldb))
    assert source.count() == 10_000
    batches = read_all(source, batch_size=1_000)
    assert [len(b.records) for b in batches] == [1_000] * 10
    assert all(not b.failures for b in batches)
    assert [b.checkpoint for b in batches] == [f"int:{n * 1000}" for n in range(1, 11)]
    records = [r for b in batches for r in b.records]
    assert [r.source_id for r in records] == [str(i) for i in range(1, 10_001)]
    for i, record in enumerate(records, start=1):
        assert record == expected_record(i), i


def test_resume_from_a_checkpoint_returns_exactly_the_rest(sqldb: Database) -> None:
    mapping = bulk_table(sqldb)
    first = sqldb.source(mapping)
    seen: list[SourceBatch] = []
    for batch in first.batches(batch_size=700):
        seen.append(batch)
        if len(seen) == 3:
            break
    first.close()
    checkpoint = seen[-1].checkpoint
    assert checkpoint == "int:2100"

    rest = read_all(sqldb.source(mapping), batch_size=700, resume=checkpoint)
    assert ids_of(rest) == [str(i) for i in range(2101, 10_001)]
    assert len(rest) == 12  # 7,900 rows: 11 full batches and one of 200
    # resuming from the last checkpoint finds nothing more, and rows added later come next
    assert read_all(sqldb.source(mapping), batch_size=700, resume=rest[-1].checkpoint) == []
    sqldb.insert(mapping.table, ["id", "body"], [(10_001, "one more"), (10_002, "and another")])
    later = read_all(sqldb.source(mapping), batch_size=700, resume=rest[-1].checkpoint)
    assert ids_of(later) == ["10001", "10002"]


TEXT_IDS = [
    "note:1",
    "note:10",
    "note:2",
    "Note-3",
    "a b c",
    "zeta",
    "x:y:z",
    "ångström",
    "0001",
    "10",
    "9",
    "text:looks-like-a-checkpoint",
    "emoji-🙂",
]


def test_text_ids_page_and_resume_in_the_servers_order(sqldb: Database) -> None:
    table = sqldb.create("id VARCHAR(64) PRIMARY KEY, content {text}")
    sqldb.insert(table, ["id", "content"], [(key, f"content of {key}") for key in TEXT_IDS])
    order = [row[0] for row in sqldb.execute(f"SELECT id FROM {sqldb.quote(table)} ORDER BY id")]
    source = sqldb.source(TableMapping(table=table, id="id", content="content"))

    batches = read_all(source, batch_size=4)
    assert ids_of(batches) == order
    assert sorted(order) == sorted(TEXT_IDS)
    assert [len(b.records) for b in batches] == [4, 4, 4, 1]
    for n, batch in enumerate(batches):
        assert batch.checkpoint == f"text:{order[4 * n + len(batch.records) - 1]}"
        rest = read_all(source, batch_size=4, resume=batch.checkpoint)
        assert ids_of(rest) == order[4 * n + len(batch.records) :]
    assert source.count() == len(TEXT_IDS)


def test_uuid_ids(postgres: Database) -> None:
    table = postgres.create("id UUID PRIMARY KEY, content TEXT")
    keys = sorted(uuid.uuid4() for _ in range(9))
    postgres.insert(table, ["id", "content"], [(k, f"row {k}") for k in keys])
    source = postgres.source(TableMapping(table=table, id="id", content="content"))
    batches = read_all(source, batch_size=4)
    assert ids_of(batches) == [str(k) for k in keys]
    assert batches[0].checkpoint == f"uuid:{keys[3]}"
    assert ids_of(read_all(source, 4, resume=batches[0].checkpoint)) == [str(k) for k in keys[4:]]


# --- rows that cannot be imported --------------------------------------------------------------


def test_empty_or_null_content_fails_that_row_only(sqldb: Database) -> None:
    table = sqldb.create("id INTEGER PRIMARY KEY, content {text}")
    rows = [(1, "first"), (2, ""), (3, None), (4, "  \n\t "), (5, "fifth"), (6, "sixth")]
    sqldb.insert(table, ["id", "content"], rows)
    source = sqldb.source(TableMapping(table=table, id="id", content="content"))
    batches = read_all(source, batch_size=2)
    assert [[r.source_id for r in b.records] for b in batches] == [["1"], [], ["5", "6"]]
    assert [f for b in batches for f in b.failures] == [
        SourceFailure("2", "content is empty"),
        SourceFailure("3", "content is empty (NULL)"),
        SourceFailure("4", "content is empty"),
    ]
    assert [b.checkpoint for b in batches] == ["int:2", "int:4", "int:6"]
    assert source.count() == 6


def test_values_that_break_the_vault_rules_fail_their_row(sqldb: Database) -> None:
    table = sqldb.create(
        "id INTEGER PRIMARY KEY, content {text}, importance {float}, created {text}, "
        "extra {text}, kind VARCHAR(40), vec {text}"
    )
    rows = [
        (1, "fine", 0.3, "2024-02-03T04:05:06Z", '{"a": 1}', "fact", "[1, 2]"),
        (2, "too important", 7.5, None, None, None, None),
        (3, "when?", None, "yesterday", None, None, None),
        (4, "a list", None, None, "[1, 2]", None, None),
        (5, "broken json", None, None, "{nope", None, None),
        (6, "odd kind", None, None, None, "Two Words", None),
        (7, "odd vector", None, None, None, None, '[1, "x"]'),
    ]
    sqldb.insert(table, ["id", "content", "importance", "created", "extra", "kind", "vec"], rows)
    mapping = TableMapping(
        table=table,
        id="id",
        content="content",
        importance="importance",
        created_at="created",
        metadata_json="extra",
        kind="kind",
        vector="vec",
    )
    (batch,) = read_all(sqldb.source(mapping), batch_size=100)
    assert [r.source_id for r in batch.records] == ["1"]
    assert batch.records[0].created_at == "2024-02-03T04:05:06.000000Z"
    reasons = {f.source_id: f.reason for f in batch.failures}
    assert reasons["2"] == "importance must be between 0 and 1, got 7.5"
    assert reasons["3"].startswith("created_at: not a date or time: 'yesterday'")
    assert reasons["4"] == "extra does not hold a JSON object"
    assert reasons["5"].startswith("extra is not valid JSON")
    assert reasons["6"].startswith("kind 'Two Words' is not allowed")
    assert reasons["7"] == "vector is not a list of numbers"
    assert all("\n" not in reason for reason in reasons.values())


# --- field formats -----------------------------------------------------------------------------


def test_tags_from_comma_text_json_text_and_json_columns(sqldb: Database) -> None:
    table = sqldb.create(
        "id INTEGER PRIMARY KEY, content {text}, tags_text {text}, tags_json {json}"
    )
    sqldb.insert(
        table,
        ["id", "content", "tags_text", "tags_json"],
        [
            (1, "one", "a, b ,,c", '["j1", "j2"]'),
            (2, "two", '["x", "y", "x"]', "[]"),
            (3, "three", None, None),
            (4, "four", "solo", '["with, comma"]'),
        ],
    )
    mapping = TableMapping(table=table, id="id", content="content", tags="tags_text")
    records = read_all(sqldb.source(mapping), batch_size=10)[0].records
    assert [r.tags for r in records] == [("a", "b", "c"), ("x", "y"), (), ("solo",)]
    records = read_all(sqldb.source(replace(mapping, tags="tags_json")), batch_size=10)[0].records
    assert [r.tags for r in records] == [("j1", "j2"), (), (), ("with, comma",)]


def test_tags_from_a_postgresql_array(postgres: Database) -> None:
    table = postgres.create("id INTEGER PRIMARY KEY, content TEXT, labels TEXT[]")
    postgres.insert(
        table,
        ["id", "content", "labels"],
        [(1, "one", ["p", "q", "p"]), (2, "two", []), (3, "three", None), (4, "four", ["a,b"])],
    )
    mapping = TableMapping(table=table, id="id", content="content", tags="labels")
    records = read_all(postgres.source(mapping), batch_size=10)[0].records
    assert [r.tags for r in records] == [("p", "q"), (), (), ("a,b",)]


def test_json_metadata_is_merged_with_metadata_columns(sqldb: Database) -> None:
    table = sqldb.create(
        "id INTEGER PRIMARY KEY, content {text}, extra {json}, title VARCHAR(50), "
        "score DECIMAL(5,2), seen {ts}"
    )
    seen = datetime(2024, 6, 1, 8, 30, tzinfo=UTC)
    sqldb.insert(
        table,
        ["id", "content", "extra", "title", "score", "seen"],
        [
            (1, "one", '{"a": 1, "nested": {"b": [1, 2]}, "title": "from json"}', "T", 1.5, seen),
            (2, "two", None, None, None, None),
        ],
    )
    mapping = TableMapping(
        table=table,
        id="id",
        content="content",
        metadata=("title", "score", "seen"),
        metadata_json="extra",
    )
    first, second = read_all(sqldb.source(mapping), batch_size=10)[0].records
    assert first.metadata == {
        "a": 1,
        "nested": {"b": [1, 2]},
        "title": "T",  # the named column wins over the JSON key
        "score": 1.5,
        "seen": "2024-06-01T08:30:00.000000Z",
    }
    assert second.metadata == {"title": None, "score": None, "seen": None}


def test_timestamps_become_iso_utc(sqldb: Database) -> None:
    table = sqldb.create(
        "id INTEGER PRIMARY KEY, content {text}, at {ts}, txt {text}, epoch BIGINT"
    )
    at = datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
    sqldb.insert(
        table,
        ["id", "content", "at", "txt", "epoch"],
        [
            (1, "one", at, "2024-03-01T12:00:00+02:00", 1_700_000_000),
            (2, "two", None, "2024-03-01", 1_700_000_000_000),
            (3, "three", None, "", None),
        ],
    )
    base = TableMapping(table=table, id="id", content="content")

    def times(column: str) -> list[str | None]:
        records = read_all(sqldb.source(replace(base, created_at=column)), 10)[0].records
        return [r.created_at for r in records]

    assert times("at") == ["2024-03-01T10:00:00.123456Z", None, None]
    assert times("txt") == ["2024-03-01T10:00:00.000000Z", "2024-03-01T00:00:00.000000Z", None]
    assert times("epoch") == ["2023-11-14T22:13:20.000000Z"] * 2 + [None]


def test_postgresql_timestamps_with_and_without_zone(postgres: Database) -> None:
    table = postgres.create("id INTEGER PRIMARY KEY, content TEXT, tz TIMESTAMPTZ, naive TIMESTAMP")
    postgres.execute(
        f"INSERT INTO {table} VALUES (1, 'x', '2024-03-01 12:00:00+02', '2024-03-01 12:00:00')"
    )
    mapping = TableMapping(table=table, id="id", content="content", created_at="tz")
    mapping = replace(mapping, updated_at="naive")
    (record,) = read_all(postgres.source(mapping), 10)[0].records
    assert record.created_at == "2024-03-01T10:00:00.000000Z"
    assert record.updated_at == "2024-03-01T12:00:00.000000Z"  # no zone: taken as UTC


# --- vectors -----------------------------------------------------------------------------------

VECTORS = [[0.5 * i + j / 8 for j in range(8)] for i in range(1, 4)]


def test_pgvector_and_float_array_columns(pgvector: Database) -> None:
    table = pgvector.create(
        "id INTEGER PRIMARY KEY, content TEXT, emb vector(8), arr FLOAT8[], pad TEXT DEFAULT 'x'"
    )
    for i, values in enumerate(VECTORS, start=1):
        pgvector.execute(
            f"INSERT INTO {table} (id, content, emb, arr) VALUES (%s, %s, %s::vector, %s)",
            (i, f"row {i}", json.dumps(values), values),
        )
    pgvector.execute(f"INSERT INTO {table} (id, content) VALUES (4, 'no vector')")
    mapping = TableMapping(table=table, id="id", content="content", vector="emb")
    source = pgvector.source(mapping)
    assert source.vector_note == "vector(8)"
    records = read_all(source, batch_size=10)[0].records
    for record, values in zip(records, VECTORS, strict=False):
        assert record.vector is not None
        assert record.vector.dtype == np.float32
        np.testing.assert_allclose(record.vector, np.asarray(values, dtype=np.float32))
    assert records[3].vector is None

    arrays = pgvector.source(replace(mapping, vector="arr"))
    assert arrays.vector_note == "arr: double precision[]"
    records = read_all(arrays, batch_size=10)[0].records
    np.testing.assert_allclose(records[1].vector, np.asarray(VECTORS[1], dtype=np.float32))  # type: ignore[arg-type]


def test_mariadb_json_array_text_vectors(mysql: Database) -> None:
    table = mysql.create("id INTEGER PRIMARY KEY, content TEXT, emb LONGTEXT, emb_json JSON")
    mysql.insert(
        table,
        ["id", "content", "emb", "emb_json"],
        [(i, f"row {i}", json.dumps(v), json.dumps(v)) for i, v in enumerate(VECTORS, start=1)],
    )
    mapping = TableMapping(table=table, id="id", content="content", vector="emb")
    source = mysql.source(mapping)
    assert source.vector_note == "emb: longtext"
    for column in ("emb", "emb_json"):
        records = read_all(mysql.source(replace(mapping, vector=column)), 10)[0].records
        assert [r.vector.dtype for r in records if r.vector is not None] == [np.float32] * 3
        for record, values in zip(records, VECTORS, strict=True):
            np.testing.assert_allclose(record.vector, np.asarray(values, dtype=np.float32))  # type: ignore[arg-type]


def test_no_vector_mapped_means_no_note(sqldb: Database) -> None:
    table = sqldb.create("id INTEGER PRIMARY KEY, content {text}")
    assert sqldb.source(TableMapping(table=table, id="id", content="content")).vector_note is None


# --- search ------------------------------------------------------------------------------------

SEARCH_ROWS = [
    (1, "pgvector stores embeddings for similarity search"),
    (2, "the cat sat on the mat"),
    (3, "embeddings, embeddings and more embeddings everywhere"),
    (4, "unrelated words only"),
    (5, None),
]


def test_mariadb_search_uses_a_fulltext_index(mysql: Database) -> None:
    table = mysql.create("id INTEGER PRIMARY KEY, content TEXT, FULLTEXT KEY ft (content)")
    mysql.insert(table, ["id", "content"], SEARCH_ROWS)
    source = mysql.source(TableMapping(table=table, id="id", content="content"))
    assert source.search("embeddings", 5) == ["3", "1"]
    assert source.search("embeddings", 1) == ["3"]
    assert source.search("cat", 5) == ["2"]
    assert source.search("nothing-matches-this", 5) == []


def test_mariadb_without_a_fulltext_index_cannot_search(mysql: Database) -> None:
    table = mysql.create("id INTEGER PRIMARY KEY, content TEXT, title TEXT, FULLTEXT (title)")
    mysql.insert(table, ["id", "content"], SEARCH_ROWS)
    source = mysql.source(TableMapping(table=table, id="id", content="content"))
    assert source.search("embeddings", 5) is None


def test_postgresql_search_ranks_by_ts_rank(postgres: Database) -> None:
    table = postgres.create("id INTEGER PRIMARY KEY, content TEXT")
    postgres.insert(table, ["id", "content"], SEARCH_ROWS)
    source = postgres.source(TableMapping(table=table, id="id", content="content"))
    assert source.search("embeddings", 5) == ["3", "1"]
    assert source.search("embedding", 1) == ["3"]  # English stemming
    assert source.search("cats on mats", 5) == ["2"]  # every word must match
    assert source.search("the", 5) == []  # only a stopword


# --- transactions and locks --------------------------------------------------------------------


def small_table(sqldb: Database, rows: int = 6) -> TableMapping:
    table = sqldb.create("id INTEGER PRIMARY KEY, content {text}")
    sqldb.insert(table, ["id", "content"], [(i, f"row {i}") for i in range(1, rows + 1)])
    return TableMapping(table=table, id="id", content="content")


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
    source = open_table_source(url, TableMapping(table="notes", id="id", content="content"))
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


# --- names, mapping errors, quoting -----------------------------------------------------------


def test_name_count_and_repr(sqldb: Database) -> None:
    mapping = small_table(sqldb, rows=3)
    source = sqldb.source(mapping)
    prefix = "mysql://127.0.0.1:3306/test/" if sqldb.engine == "mysql" else "postgresql://"
    assert source.name.startswith(prefix)
    assert source.name.endswith(f"/test/{mapping.table}")
    assert source.count() == 3
    assert mapping.table in repr(source)


def test_a_schema_qualified_table(sqldb: Database) -> None:
    mapping = small_table(sqldb, rows=2)
    qualified = replace(
        mapping, table=f"{'test' if sqldb.engine == 'mysql' else 'public'}.{mapping.table}"
    )
    source = sqldb.source(qualified)
    assert source.name.endswith(f"/test/{qualified.table}")
    assert ids_of(read_all(source, batch_size=10)) == ["1", "2"]
    assert source.count() == 2


def test_a_missing_column_or_table_is_named(sqldb: Database) -> None:
    mapping = small_table(sqldb)
    with pytest.raises(InvalidInputError) as caught:
        sqldb.source(replace(mapping, tags="labels")).count()
    assert f"tags: table {mapping.table} has no column 'labels' (its columns: id, content)" == str(
        caught.value
    )
    with pytest.raises(InvalidInputError, match="no table mv_missing_table in database test"):
        sqldb.source(replace(mapping, table="mv_missing_table")).count()


def test_reserved_words_and_odd_case_are_quoted(sqldb: Database) -> None:
    q = sqldb.quote
    table = sqldb.create(
        f"{q('order')} INTEGER PRIMARY KEY, {q('select')} {{text}}, {q('Group')} {{text}}"
    )
    sqldb.insert(
        table, ["order", "select", "Group"], [(1, "drop table students", "x,y"), (2, "ok", "")]
    )
    mapping = TableMapping(table=table, id="order", content="select", tags="group")
    records = read_all(sqldb.source(mapping), batch_size=10)[0].records
    assert [(r.source_id, r.content, r.tags) for r in records] == [
        ("1", "drop table students", ("x", "y")),
        ("2", "ok", ()),
    ]
    assert sqldb.execute(f"SELECT COUNT(*) FROM {q(table)}")[0][0] == 2


def test_bad_arguments(sqldb: Database) -> None:
    source = sqldb.source(small_table(sqldb))
    with pytest.raises(InvalidInputError, match="batch_size"):
        next(source.batches(batch_size=0))
    with pytest.raises(InvalidInputError, match="not a checkpoint"):
        next(source.batches(batch_size=10, resume="42"))
    with pytest.raises(InvalidInputError, match="k must be"):
        source.search("x", 0)
    with pytest.raises(InvalidInputError, match="URL"):
        open_table_source("sqlite:///tmp/x.db", TableMapping(table="t", id="id", content="c"))
    with pytest.raises(InvalidInputError, match="must name a host and a database"):
        open_table_source(
            "mysql://root@127.0.0.1:3306/", TableMapping(table="t", id="i", content="c")
        )


# --- presets on the layouts they name ----------------------------------------------------------


def test_mem0_preset_on_a_mem0_pgvector_table(pgvector: Database) -> None:
    table = pgvector.create("id UUID PRIMARY KEY, vector vector(8), payload JSONB")
    keys = sorted(uuid.uuid4() for _ in range(3))
    payloads = [
        {
            "data": "Prefers tea over coffee",
            "hash": "9b1c",
            "created_at": "2024-05-01T10:00:00.123456-07:00",
            "user_id": "alice",
            "agent_id": "helper",
            "role": "user",
        },
        {
            "data": "Lives in Lisbon",
            "hash": "77aa",
            "created_at": "2024-05-02T09:00:00-07:00",
            "updated_at": "2024-05-03T09:00:00-07:00",
            "user_id": "bob",
            "run_id": "r1",
        },
        {"hash": "0000", "user_id": "alice"},  # no data: nothing to import
    ]
    for key, vector, payload in zip(keys, VECTORS, payloads, strict=True):
        pgvector.execute(
            f"INSERT INTO {table} VALUES (%s, %s::vector, %s::jsonb)",
            (key, json.dumps(vector), json.dumps(payload)),
        )
    mapping = load_mapping(preset="mem0", table=table)
    source = pgvector.source(mapping)
    assert source.vector_note == "vector(8)"
    (batch,) = read_all(source, batch_size=10)
    first, second = batch.records
    assert first.source_id == str(keys[0])
    assert first.content == "Prefers tea over coffee"
    assert first.namespace == "alice"
    assert first.created_at == "2024-05-01T17:00:00.123456Z"
    assert first.metadata == {"hash": "9b1c", "agent_id": "helper", "role": "user"}
    np.testing.assert_allclose(first.vector, np.asarray(VECTORS[0], dtype=np.float32))  # type: ignore[arg-type]
    assert second.updated_at == "2024-05-03T16:00:00.000000Z"
    assert second.metadata == {"hash": "77aa", "run_id": "r1"}
    assert batch.failures == (SourceFailure(str(keys[2]), "content is empty (NULL)"),)
    assert batch.checkpoint == f"uuid:{keys[2]}"
    assert source.search("coffee", 5) == [str(keys[0])]  # inside the payload


def test_letta_archival_preset(pgvector: Database) -> None:
    table = pgvector.create(
        "id VARCHAR PRIMARY KEY, text VARCHAR NOT NULL, embedding vector(8), "
        "embedding_config JSON, metadata_ JSON, created_at TIMESTAMPTZ DEFAULT now(), "
        "updated_at TIMESTAMPTZ, is_deleted BOOLEAN DEFAULT false, organization_id VARCHAR, "
        "archive_id VARCHAR"
    )
    created = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    for n, vector in enumerate(VECTORS):
        pgvector.execute(
            f"INSERT INTO {table} (id, text, embedding, metadata_, created_at, archive_id) "
            "VALUES (%s, %s, %s::vector, %s::json, %s, 'archive-1')",
            (
                f"passage-{n}",
                f"archival fact {n}",
                json.dumps(vector),
                '{"source": "chat"}',
                created,
            ),
        )
    source = pgvector.source(load_mapping(preset="letta-archival", table=table))
    records = read_all(source, batch_size=2)
    flat = [r for b in records for r in b.records]
    assert [r.source_id for r in flat] == ["passage-0", "passage-1", "passage-2"]
    assert flat[1].content == "archival fact 1"
    assert flat[1].metadata == {"source": "chat"}
    assert flat[1].created_at == "2025-01-02T03:04:05.000000Z"
    assert flat[1].vector is not None and flat[1].vector.shape == (8,)
    assert records[0].checkpoint == "text:passage-1"


def test_seed_notes_preset(sqldb: Database) -> None:
    table = sqldb.create(
        "id INTEGER PRIMARY KEY, title VARCHAR(200), content {text}, tags {text}, "
        "created_at {ts}, updated_at {ts}"
    )
    when = datetime(2023, 7, 8, 9, 10, 11, tzinfo=UTC)
    sqldb.insert(
        table,
        ["id", "title", "content", "tags", "created_at", "updated_at"],
        [
            (1, "Deploys", "Deploy on Tuesdays", "ops,release", when, when),
            (2, "Empty", "", "", when, None),
        ],
    )
    source = sqldb.source(load_mapping(preset="seed-notes", table=table))
    (batch,) = read_all(source, batch_size=10)
    (note,) = batch.records
    assert note == SourceRecord(
        source_id="1",
        content="Deploy on Tuesdays",
        kind="note",
        tags=("ops", "release"),
        created_at="2023-07-08T09:10:11.000000Z",
        updated_at="2023-07-08T09:10:11.000000Z",
        metadata={"title": "Deploys"},
    )
    assert batch.failures == (SourceFailure("2", "content is empty"),)


def test_a_source_is_a_source(sqldb: Database) -> None:
    source: Source = sqldb.source(small_table(sqldb))
    assert isinstance(source.name, str)
    it: Iterator[SourceBatch] = source.batches(batch_size=3)
    assert [len(b.records) for b in it] == [3, 3]
