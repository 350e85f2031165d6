"""The MariaDB and PostgreSQL table sources turning column values into records: rows that
cannot be imported, tags, JSON metadata, timestamps and vectors."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from memvault.importers.mapping import TableMapping
from memvault.importers.records import SourceFailure
from tests.importers.conftest import Database
from tests.importers.table_source_helpers import VECTORS, read_all

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
