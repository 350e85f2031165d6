"""The MariaDB and PostgreSQL table sources and their mappings: names, missing columns and
tables, quoting, bad arguments, and the presets on the layouts they name."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from memvault.core.errors import InvalidInputError
from memvault.importers.mapping import TableMapping, load_mapping
from memvault.importers.records import Source, SourceBatch, SourceFailure, SourceRecord
from memvault.importers.source_kinds import SourceKind, open_table
from tests.importers.conftest import Database
from tests.importers.table_source_helpers import VECTORS, ids_of, read_all, small_table

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
        open_table(
            SourceKind.MYSQL, "sqlite:///tmp/x.db", TableMapping(table="t", id="id", content="c")
        )
    with pytest.raises(InvalidInputError, match="must name a host and a database"):
        open_table(
            SourceKind.MYSQL,
            "mysql://root@127.0.0.1:3306/",
            TableMapping(table="t", id="i", content="c"),
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
