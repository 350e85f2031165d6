"""The MariaDB and PostgreSQL table sources paging real rows: 10,000 rows with every field
mapped, resuming from checkpoints, and integer, text and UUID ids in the server's order."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from memvault.core.times import format_timestamp
from memvault.importers.mapping import TableMapping
from memvault.importers.records import SourceBatch, SourceRecord
from tests.importers.conftest import Database
from tests.importers.table_source_helpers import ids_of, read_all

BASE = datetime(2024, 1, 1, tzinfo=UTC)

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
