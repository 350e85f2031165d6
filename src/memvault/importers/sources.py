"""Which source an import reads: by kind and location (``memvault import KIND SOURCE``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from memvault.importers.source import Source


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
        if kind is SourceKind.MYSQL:
            from memvault.storage.sources.mysql import MysqlSource

            return MysqlSource(location, table_map)
        from memvault.storage.sources.postgres import PostgresSource

        return PostgresSource(location, table_map)
    if kind is SourceKind.CHROMA:
        from memvault.storage.sources.chroma import ChromaSource

        return ChromaSource(Path(location), collection)
    from memvault.importers.files import JsonlSource, McpMemorySource

    if kind is SourceKind.JSONL:
        return JsonlSource(Path(location))
    return McpMemorySource(Path(location))
