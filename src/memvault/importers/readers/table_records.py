"""A table mapping resolved against the real table, and the rows it selects read as records.

The mapping names columns as the user typed them; :func:`resolve` matches them with the
table's own (exactly, else by case alone) once, so a typo fails before the first batch with
the table's real column list. :class:`RowReader` then reads each row: fields straight from a
column or from a JSON path inside one (``meta.source``; the JSON is parsed once per row and
column), ``metadata_json`` merged with the plain ``metadata`` columns, each value converted by
:mod:`memvault.importers.readers.table_values`. A row that breaks a rule becomes a
:class:`SourceFailure` of its own; the rest of the batch goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.importers.mapping import COLUMN_FIELDS, TableMapping, column_ref
from memvault.importers.readers import table_values
from memvault.importers.records import SourceFailure, SourceRecord

Row = tuple[Any, ...]


# --- the table as the server describes it ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableInfo:
    """Columns (name → declared type, in table order) and FULLTEXT indexes (column lists)."""

    columns: dict[str, str]
    fulltext: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Layout:
    """A mapping resolved against the table: real column names, the SELECT list, types."""

    mapping: TableMapping
    columns: tuple[str, ...]
    types: dict[str, str]
    fulltext: tuple[tuple[str, ...], ...]

    @property
    def id_column(self) -> str:
        return self.mapping.id

    def vector_note(self) -> str | None:
        ref = self.mapping.vector
        if ref is None:
            return None
        column, keys = column_ref(ref, "vector")
        declared = self.types[column]
        if not keys and declared.split("(")[0] in {"vector", "halfvec"}:
            return declared
        return f"{ref}: {declared}"


def resolve(mapping: TableMapping, info: TableInfo, *, table: str) -> Layout:
    """Match every column the mapping names with the table's (exact, else one that differs in
    case only); a missing column is an :class:`InvalidInputError` that lists the real ones."""

    def real(column: str, field: str) -> str:
        if column in info.columns:
            return column
        folded = [name for name in info.columns if name.casefold() == column.casefold()]
        if len(folded) == 1:
            return folded[0]
        listed = ", ".join(list(info.columns)[:30])
        raise InvalidInputError(
            f"{field}: table {table} has no column {column!r} (its columns: {listed})"
        )

    def ref(value: str, field: str) -> str:
        column, keys = column_ref(value, field)
        return ".".join((real(column, field), *keys))

    changes: dict[str, Any] = {
        "id": ref(mapping.id, "id"),
        "content": ref(mapping.content, "content"),
    }
    for name in COLUMN_FIELDS:
        value = getattr(mapping, name)
        if value is not None:
            changes[name] = ref(value, name)
    changes["metadata"] = tuple(real(c, "metadata") for c in mapping.metadata)
    if mapping.metadata_json is not None:
        changes["metadata_json"] = real(mapping.metadata_json, "metadata_json")
    resolved = replace(mapping, **changes)
    return Layout(
        mapping=resolved,
        columns=resolved.columns(),
        types={name: info.columns[name] for name in resolved.columns()},
        fulltext=info.fulltext,
    )


# --- rows → records ----------------------------------------------------------------------------


class RowReader:
    """Turns the rows of a SELECT over ``layout.columns`` into records and failures."""

    def __init__(self, layout: Layout) -> None:
        self._mapping = layout.mapping
        self._index = {name: i for i, name in enumerate(layout.columns)}
        self._refs = {
            name: column_ref(value, name) for name, value in self._mapping.references().items()
        }
        json_column = self._mapping.metadata_json
        # Keys that other fields read out of the metadata_json column are not copied again.
        self._consumed = {
            keys[0]
            for column, keys in self._refs.values()
            if column == json_column and len(keys) == 1
        }

    def read(self, rows: Sequence[Row]) -> tuple[list[SourceRecord], list[SourceFailure]]:
        records: list[SourceRecord] = []
        failures: list[SourceFailure] = []
        for row in rows:
            source_id = table_values.source_key(row[0])
            try:
                records.append(self._record(source_id, row))
            except table_values.RowProblem as problem:
                failures.append(SourceFailure(source_id, str(problem)))
        return records, failures

    def _record(self, source_id: str, row: Row) -> SourceRecord:
        parsed: dict[str, Any] = {}  # JSON text parsed once per column and row

        def value(field: str) -> Any:
            ref = self._refs.get(field)
            if ref is None:
                return None
            column, keys = ref
            if not keys:
                return row[self._index[column]]
            if column not in parsed:
                parsed[column] = table_values.json_value(row[self._index[column]], column)
            found = parsed[column]
            for key in keys:
                found = found.get(key) if isinstance(found, dict) else None
            return found

        mapping = self._mapping
        kind = table_values.text_or_none(value("kind")) or mapping.default_kind
        namespace = table_values.text_or_none(value("namespace")) or mapping.default_namespace
        return SourceRecord(
            source_id=source_id,
            content=table_values.content(value("content")),
            kind=table_values.rule(lambda: inputs.name(kind, "kind")) if kind else None,
            namespace=table_values.rule(lambda: inputs.namespace(namespace)) if namespace else None,
            tags=table_values.tags(value("tags")),
            importance=table_values.unit(value("importance"), "importance"),
            confidence=table_values.unit(value("confidence"), "confidence"),
            created_at=table_values.timestamp(value("created_at"), "created_at"),
            updated_at=table_values.timestamp(value("updated_at"), "updated_at"),
            metadata=self._metadata(row, parsed),
            vector=table_values.vector(value("vector")),
        )

    def _metadata(self, row: Row, parsed: dict[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        column = self._mapping.metadata_json
        if column is not None:
            if column not in parsed:
                parsed[column] = table_values.json_value(row[self._index[column]], column)
            obj = parsed[column]
            if obj is not None and not isinstance(obj, dict):
                raise table_values.RowProblem(f"{column} does not hold a JSON object")
            merged.update(
                (k, table_values.plain(v))
                for k, v in (obj or {}).items()
                if k not in self._consumed
            )
        for name in self._mapping.metadata:
            merged[name] = table_values.plain(row[self._index[name]])
        return table_values.rule(lambda: inputs.metadata(merged))
