"""Helpers shared by the table-source tests: reading a source whole, a small table, vectors."""

from __future__ import annotations

from memvault.importers.mapping import TableMapping
from memvault.importers.records import Source, SourceBatch
from tests.importers.conftest import Database


def read_all(source: Source, batch_size: int, resume: str | None = None) -> list[SourceBatch]:
    return list(source.batches(batch_size=batch_size, resume=resume))


def ids_of(batches: list[SourceBatch]) -> list[str]:
    return [r.source_id for b in batches for r in b.records]


def small_table(sqldb: Database, rows: int = 6) -> TableMapping:
    table = sqldb.create("id INTEGER PRIMARY KEY, content {text}")
    sqldb.insert(table, ["id", "content"], [(i, f"row {i}") for i in range(1, rows + 1)])
    return TableMapping(table=table, id="id", content="content")


VECTORS = [[0.5 * i + j / 8 for j in range(8)] for i in range(1, 4)]
