"""What the MariaDB/MySQL and PostgreSQL table sources share.

- Connection URLs: parsed once; the password is kept out of every name, message and repr.
- Keyset paging: ``WHERE id > last ORDER BY id LIMIT n``, one short read-only transaction per
  batch (nothing is held while the caller works on a batch). The checkpoint is the last id with
  its type (``int:42``, ``text:note-7``, ``uuid:…``), so integer and text keys both resume
  (:mod:`memvault.importers.readers.table_values`).
- Rows → :class:`SourceRecord` (:mod:`memvault.importers.readers.table_records`): text content or
  a per-row :class:`SourceFailure`, timestamps as ISO 8601 UTC, tags from text, JSON or arrays,
  vectors as float32, JSON metadata merged.

An engine module subclasses :class:`TableSource` with its quoting, its read-only transaction
(translating driver errors into :class:`StorageError`), its catalog queries and its search.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from memvault.core import inputs
from memvault.core.errors import InvalidInputError, StorageError
from memvault.importers.mapping import TableMapping, table_name
from memvault.importers.readers.table_records import Layout, Row, RowReader, TableInfo, resolve
from memvault.importers.readers.table_values import decode_checkpoint, encode_checkpoint, source_key
from memvault.importers.records import SourceBatch

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


# --- the source --------------------------------------------------------------------------------


class TableSource(ABC):
    """A :class:`~memvault.importers.records.Source` over one table of a SQL server.

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


__all__ = [
    "MAX_BATCH",
    "Layout",
    "Statement",
    "TableInfo",
    "TableSource",
    "Target",
    "parse_url",
]
