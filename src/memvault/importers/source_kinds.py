"""Which source an import reads: by kind and location (``memvault import KIND SOURCE``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI names SourceKind at start-up: nothing heavy at import
    from memvault.importers.mapping import TableMapping
    from memvault.importers.readers.tables import TableSource
    from memvault.importers.records import Source


class SourceKind(StrEnum):
    MYSQL = "mysql"
    POSTGRES = "postgres"
    CHROMA = "chroma"
    JSONL = "jsonl"
    MCP_MEMORY = "mcp-memory"


def open_source(
    kind: SourceKind,
    location: str,
    *,
    table: str | None = None,
    id_column: str | None = None,
    content: str | None = None,
    fields: list[str] | None = None,
    mapping: Path | None = None,
    preset: str | None = None,
    collection: str | None = None,
) -> Source:
    if kind in (SourceKind.MYSQL, SourceKind.POSTGRES):
        from memvault.importers.mapping import load_mapping

        table_map = load_mapping(
            mapping_file=mapping,
            table=table,
            id=id_column,
            content=content,
            fields=fields or [],
            preset=preset,
        )
        return open_table(kind, location, table_map)
    if kind is SourceKind.CHROMA:
        from memvault.importers.readers.chroma import ChromaSource

        return ChromaSource(Path(location), collection)
    from memvault.importers.readers.jsonl import JsonlSource, McpMemorySource

    if kind is SourceKind.JSONL:
        return JsonlSource(Path(location))
    return McpMemorySource(Path(location))


def open_table(kind: SourceKind, url: str, mapping: TableMapping) -> TableSource:
    """A MariaDB/MySQL or PostgreSQL table source; nothing connects until the first read.

    Each driver is imported only here, so a machine without PyMySQL still reads PostgreSQL.
    """
    if kind is SourceKind.MYSQL:
        from memvault.importers.readers.mysql import MysqlSource

        return MysqlSource(url, mapping)
    if kind is SourceKind.POSTGRES:
        from memvault.importers.readers.postgres import PostgresSource

        return PostgresSource(url, mapping)
    raise ValueError(f"{kind} is not a table source")
