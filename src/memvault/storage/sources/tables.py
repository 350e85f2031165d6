"""What the MariaDB/MySQL and PostgreSQL table sources share.

- Connection URLs: parsed once; the password is kept out of every name, message and repr.
- Keyset paging: ``WHERE id > last ORDER BY id LIMIT n``, one short read-only transaction per
  batch (nothing is held while the caller works on a batch). The checkpoint is the last id with
  its type (``int:42``, ``text:note-7``, ``uuid:…``), so integer and text keys both resume.
- Rows → :class:`SourceRecord`: text content or a per-row :class:`SourceFailure`, timestamps as
  ISO 8601 UTC, tags from text, JSON or arrays, vectors as float32, JSON metadata merged.

An engine module subclasses :class:`TableSource` with its quoting, its read-only transaction
(translating driver errors into :class:`StorageError`), its catalog queries and its search.
"""

from __future__ import annotations

import json
import math
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import numpy as np
import numpy.typing as npt

from memvault import inputs
from memvault.errors import InvalidInputError, MemvaultError, StorageError
from memvault.ids import format_timestamp, parse_timestamp
from memvault.importers.mapping import COLUMN_FIELDS, TableMapping, column_ref, table_name
from memvault.importers.source import SourceBatch, SourceFailure, SourceRecord

T = TypeVar("T")
Row = tuple[Any, ...]
Statement = tuple[str, Sequence[Any]]

MAX_BATCH = 100_000


# --- connection URLs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """Where a source lives. ``password`` never appears in ``repr`` or :meth:`where`."""

    scheme: str
    host: str
    port: int
    database: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    options: Mapping[str, str] = field(default_factory=dict)

    def where(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def scrub(self, text: str) -> str:
        """``text`` with the password (plain or URL-encoded) blanked out, on one line."""
        lines = (" ".join(part.split()) for part in str(text).splitlines())
        line = "; ".join(part for part in lines if part)
        if self.password:
            for secret in {self.password, quote(self.password, safe="")}:
                line = line.replace(secret, "***")
        return line


def parse_url(url: str, *, schemes: Mapping[str, str], default_port: int, engine: str) -> Target:
    """``scheme://user:password@host:port/database?options`` → :class:`Target`."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidInputError(f"{_redact(url)} is not a {engine} URL: {exc}") from exc
    if parts.scheme.lower() not in schemes:
        known = ", ".join(f"{s}://" for s in schemes)
        raise InvalidInputError(f"{_redact(url)} is not a {engine} URL (use {known})")
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not database or "/" in database:
        raise InvalidInputError(
            f"{_redact(url)} must name a host and a database, "
            f"e.g. {next(iter(schemes))}://user@127.0.0.1:{default_port}/mydb"
        )
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key in options:
        if not key.replace("_", "").isalnum():
            raise InvalidInputError(f"{_redact(url)}: {key!r} is not a connection option")
    return Target(
        scheme=schemes[parts.scheme.lower()],
        host=parts.hostname,
        port=port or default_port,
        database=database,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        options=options,
    )


def _redact(url: str) -> str:
    """The URL for a message: the password replaced by ``***``."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "the URL"
    if parts.password is None:
        return url.strip()
    user = parts.username or ""
    netloc = f"{user}:***@{parts.netloc.rpartition('@')[2]}"
    return parts._replace(netloc=netloc).geturl()


# --- keyset checkpoints ------------------------------------------------------------------------


def encode_checkpoint(key: object) -> str:
    if isinstance(key, bool):
        raise _unsupported_key(key)
    if isinstance(key, int):
        return f"int:{key}"
    if isinstance(key, uuid.UUID):
        return f"uuid:{key}"
    if isinstance(key, str):
        return f"text:{key}"
    raise _unsupported_key(key)


def decode_checkpoint(checkpoint: str | None) -> int | str | None:
    if checkpoint is None:
        return None
    kind, sep, value = checkpoint.partition(":")
    if sep:
        if kind == "int":
            try:
                return int(value)
            except ValueError:
                pass
        elif kind == "text":
            return value
        elif kind == "uuid":
            try:
                return str(uuid.UUID(value))
            except ValueError:
                pass
    raise InvalidInputError(
        f"{checkpoint[:80]!r} is not a checkpoint of a table source (int:N, text:S or uuid:U)"
    )


def source_key(key: object) -> str:
    """A row's id as the record's ``source_id``."""
    if isinstance(key, bool) or not isinstance(key, int | str | uuid.UUID):
        raise _unsupported_key(key)
    return str(key)


def _unsupported_key(key: object) -> InvalidInputError:
    return InvalidInputError(
        f"the id column holds {type(key).__name__} values; keyset paging needs an integer, "
        "text or uuid key (map --id to another column)"
    )


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


class RowProblem(Exception):
    """Why one row cannot become a record (the batch goes on)."""


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
            source_id = source_key(row[0])
            try:
                records.append(self._record(source_id, row))
            except RowProblem as problem:
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
                parsed[column] = _json_value(row[self._index[column]], column)
            found = parsed[column]
            for key in keys:
                found = found.get(key) if isinstance(found, dict) else None
            return found

        mapping = self._mapping
        kind = _text_or_none(value("kind")) or mapping.default_kind
        namespace = _text_or_none(value("namespace")) or mapping.default_namespace
        return SourceRecord(
            source_id=source_id,
            content=_content(value("content")),
            kind=_rule(lambda: inputs.name(kind, "kind")) if kind else None,
            namespace=_rule(lambda: inputs.namespace(namespace)) if namespace else None,
            tags=_tags(value("tags")),
            importance=_unit(value("importance"), "importance"),
            confidence=_unit(value("confidence"), "confidence"),
            created_at=_timestamp(value("created_at"), "created_at"),
            updated_at=_timestamp(value("updated_at"), "updated_at"),
            metadata=self._metadata(row, parsed),
            vector=_vector(value("vector")),
        )

    def _metadata(self, row: Row, parsed: dict[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        column = self._mapping.metadata_json
        if column is not None:
            if column not in parsed:
                parsed[column] = _json_value(row[self._index[column]], column)
            obj = parsed[column]
            if obj is not None and not isinstance(obj, dict):
                raise RowProblem(f"{column} does not hold a JSON object")
            merged.update((k, _plain(v)) for k, v in (obj or {}).items() if k not in self._consumed)
        for name in self._mapping.metadata:
            merged[name] = _plain(row[self._index[name]])
        return _rule(lambda: inputs.metadata(merged))


def _rule(check: Callable[[], T]) -> T:
    """Run one of memvault's input rules; a broken rule fails the row, not the batch."""
    try:
        return check()
    except MemvaultError as exc:
        raise RowProblem(str(exc)) from exc


def _json_value(raw: object, column: str) -> Any:
    """A JSON column's value: drivers hand back objects (PostgreSQL) or text (MariaDB)."""
    if isinstance(raw, bytes | bytearray | memoryview):
        raw = bytes(raw).decode("utf-8", errors="replace")
    if isinstance(raw, str):
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise RowProblem(f"{column} is not valid JSON ({exc.msg})") from exc
    return raw


def _text_or_none(value: object) -> str | None:
    if value is None:
        return None
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
    return text.strip() or None


def _content(value: object) -> str:
    if value is None:
        raise RowProblem("content is empty (NULL)")
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RowProblem(f"content is not UTF-8 text (byte {exc.start})") from exc
    if not isinstance(value, str):
        raise RowProblem(f"content is not text ({type(value).__name__})")
    text = value
    return _rule(lambda: inputs.content(text))


def _tags(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items: object = value
    if isinstance(value, bytes):
        items = value.decode("utf-8", errors="replace")
    if isinstance(items, str):
        text = items.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as exc:
                raise RowProblem(f"tags look like JSON but are not ({exc.msg})") from exc
        elif text.startswith("{") and text.endswith("}") and '"' not in text:
            items = text[1:-1].split(",")  # a PostgreSQL array literal read as text
        else:
            items = text.split(",")
    if not isinstance(items, list | tuple):
        raise RowProblem(f"tags must be text or a list, not {type(items).__name__}")
    tags = [str(t).strip() for t in items if t is not None and str(t).strip()]
    return _rule(lambda: inputs.tags(tags))


def _unit(value: object, field: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]  # numbers, decimals, numeric text
    except (TypeError, ValueError) as exc:
        raise RowProblem(f"{field} must be a number between 0 and 1, got {value!r}") from exc
    return _rule(lambda: inputs.unit_interval(number, field))


def _timestamp(value: object, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_timestamp(value)  # a naive value is taken as UTC
    if isinstance(value, date):
        return format_timestamp(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise RowProblem(f"{field} is not a time ({value})")
        if abs(seconds) > 1e11:  # milliseconds since the epoch
            seconds /= 1000
        try:
            return format_timestamp(datetime.fromtimestamp(seconds, UTC))
        except (OverflowError, OSError, ValueError) as exc:
            raise RowProblem(f"{field} is not a time ({value})") from exc
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return format_timestamp(parse_timestamp(value))
        except MemvaultError as exc:
            raise RowProblem(f"{field}: {exc}") from exc
    raise RowProblem(f"{field} is not a time ({type(value).__name__})")


def _vector(value: object) -> npt.NDArray[np.float32] | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if not raw or len(raw) % 4:
            raise RowProblem(f"vector blob of {len(raw)} bytes is not float32 values")
        array = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    else:
        if isinstance(value, str):
            try:
                value = json.loads(value)  # pgvector's text form and JSON arrays alike
            except json.JSONDecodeError as exc:
                raise RowProblem(f"vector is not a list of numbers ({exc.msg})") from exc
        if not isinstance(value, list | tuple):
            raise RowProblem(f"vector is not a list of numbers ({type(value).__name__})")
        try:
            array = np.asarray([float(v) for v in value], dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise RowProblem("vector is not a list of numbers") from exc
    if array.size == 0:
        raise RowProblem("vector is empty")
    if not np.isfinite(array).all():
        raise RowProblem("vector holds NaN or infinite values")
    return array


def _plain(value: object) -> Any:
    """A column value as JSON: times as ISO 8601 UTC, decimals as numbers, bytes as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


# --- the source --------------------------------------------------------------------------------


class TableSource(ABC):
    """A :class:`~memvault.importers.source.Source` over one table of a SQL server.

    It connects on first use and keeps one connection; each batch, count and search runs in its
    own read-only transaction, committed before the result is handed back.
    """

    engine: ClassVar[str]  # for messages: "MariaDB/MySQL", "PostgreSQL"
    schemes: ClassVar[Mapping[str, str]]  # accepted URL schemes → the one in names
    default_port: ClassVar[int]

    def __init__(self, url: str, mapping: TableMapping) -> None:
        self._target = parse_url(
            url, schemes=self.schemes, default_port=self.default_port, engine=self.engine
        )
        self._mapping = mapping
        self._table_parts = table_name(mapping.table)
        self._layout: Layout | None = None
        self._reader: RowReader | None = None

    # -- the Source protocol

    @property
    def name(self) -> str:
        t = self._target
        return f"{t.scheme}://{t.where()}/{t.database}/{self._mapping.table}"

    @property
    def vector_note(self) -> str | None:
        if self._mapping.vector is None:
            return None
        return self._resolved().vector_note()

    def count(self) -> int:
        layout = self._resolved()
        id_column = self.quote(layout.id_column)
        sql = f"SELECT COUNT({id_column}) FROM {self.quoted_table()}"
        (rows,) = self._run([(sql, ())])
        return int(rows[0][0])

    def batches(self, *, batch_size: int, resume: str | None = None) -> Iterator[SourceBatch]:
        if not 1 <= batch_size <= MAX_BATCH:
            raise InvalidInputError(f"batch_size must be between 1 and {MAX_BATCH:,}")
        after = decode_checkpoint(resume)
        layout = self._resolved()
        assert self._reader is not None
        select = ", ".join(self.quote(c) for c in layout.columns)
        key = self.quote(layout.id_column)
        head = f"SELECT {select} FROM {self.quoted_table()} WHERE "
        tail = f" ORDER BY {key} LIMIT %s"
        while True:
            if after is None:
                statement: Statement = (f"{head}{key} IS NOT NULL{tail}", (batch_size,))
            else:
                statement = (f"{head}{key} > %s{tail}", (after, batch_size))
            (rows,) = self._run([statement])  # the transaction ends here
            if not rows:
                return
            records, failures = self._reader.read(rows)
            after = rows[-1][0]
            yield SourceBatch(
                records=tuple(records),
                failures=tuple(failures),
                checkpoint=encode_checkpoint(after),
            )
            if len(rows) < batch_size:
                return

    def search(self, query: str, k: int) -> list[str] | None:
        if not 1 <= k <= inputs.MAX_SEARCH_K:
            raise InvalidInputError(f"k must be between 1 and {inputs.MAX_SEARCH_K}")
        statement = self.search_statement(self._resolved(), query, k)
        if statement is None:
            return None
        (rows,) = self._run([statement])
        return [source_key(row[0]) for row in rows]

    def close(self) -> None:
        self.disconnect()

    def __enter__(self) -> TableSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    # -- shared helpers

    def quoted_table(self) -> str:
        return ".".join(self.quote(part) for part in self._table_parts)

    def _resolved(self) -> Layout:
        if self._layout is None:
            info = self.describe(self._table_parts)
            self._layout = resolve(self._mapping, info, table=self._mapping.table)
            self._reader = RowReader(self._layout)
        return self._layout

    def _run(self, statements: Sequence[Statement]) -> list[list[Row]]:
        """Each statement's rows, all in one read-only transaction."""
        results: list[list[Row]] = []
        with self.transaction() as cursor:
            for sql, params in statements:
                cursor.execute(sql, tuple(params))
                results.append([tuple(row) for row in cursor.fetchall()])
        return results

    def storage_error(self, exc: BaseException, doing: str) -> StorageError:
        """One line: which server (never the password), what was being done, the driver's why."""
        t = self._target
        user = f", user {t.user}" if t.user else ""
        reason = t.scrub(str(exc)) or type(exc).__name__
        return StorageError(
            f"{self.engine} at {t.where()} (database {t.database}{user}): {doing}: {reason}"
        )

    # -- what each engine provides

    @staticmethod
    @abstractmethod
    def quote(identifier: str) -> str:
        """The identifier quoted for this engine (already checked by the mapping)."""

    @abstractmethod
    def transaction(self) -> Any:
        """A context manager: a cursor inside a read-only transaction that is committed (or
        rolled back) on exit; driver errors come out as :class:`StorageError`."""

    @abstractmethod
    def describe(self, table: tuple[str, ...]) -> TableInfo:
        """The table's columns and FULLTEXT indexes; a missing table is an
        :class:`InvalidInputError`."""

    @abstractmethod
    def search_statement(self, layout: Layout, query: str, k: int) -> Statement | None:
        """The engine's own full-text top-k over the content, or None if it has none."""

    @abstractmethod
    def disconnect(self) -> None: ...
