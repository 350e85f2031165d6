"""A Chroma persistent directory's ``chroma.sqlite3``, read without writing a byte beside it.

Everything :class:`~memvault.importers.readers.chroma.ChromaSource` learns from SQL lives here:
the collections and their settings, the segments, the records of the metadata segment (ids,
documents and metadata, paged by ``embeddings.id``), the vector segment's flush mark and the
``embeddings_queue`` rows written since. Vectors are not decoded here.

The file is opened ``mode=ro&immutable=1`` so SQLite takes no lock and creates no
-journal/-wal/-shm file: the directory may belong to a running Chroma, or to one that crashed.
In the second case (see :class:`Database`) an immutable read would be wrong, so a private copy
is read instead.

Both schemas are read: chromadb 0.x (``seq_id`` stored as 8/24-byte big-endian BLOBs, no
``databases`` join, no ``config_json_str``/``schema_str`` columns) and 1.x (integer ``seq_id``,
collection configuration as JSON, list metadata in ``embedding_metadata_array``, queue topics
that may carry a tenant/database prefix).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import apsw

from memvault.core.errors import InvalidInputError, StorageError

DB_FILE = "chroma.sqlite3"
HNSW_SEGMENT = "urn:chroma:segment/vector/hnsw-local-persisted"
METADATA_SEGMENT = "urn:chroma:segment/metadata/sqlite"
DEFAULT_PLACE = ("default_tenant", "default_database")
REQUIRED_TABLES = ("collections", "segments", "embeddings", "embedding_metadata")

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Collection:
    id: str
    name: str  # as the user names it: plain, or tenant/database/name outside the default
    dimension: int | None
    config: dict[str, Any]
    schema: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


# -- the database file --------------------------------------------------------------------------


class Database:
    """``chroma.sqlite3`` opened so that nothing is written next to it.

    Normally ``mode=ro&immutable=1``. When a -journal or -wal file is left beside it (a writer
    crashed or is running), an immutable read would ignore it and could see half a transaction,
    while a normal read-only open would have to roll back or create -shm there; so the database
    and those files are copied to a private temporary folder and the copy is opened instead.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / DB_FILE
        self.conn: apsw.Connection | None = None
        self._copy: Path | None = None
        sidecars = [
            p for p in (self.path.with_name(DB_FILE + s) for s in ("-journal", "-wal")) if _size(p)
        ]
        try:
            if sidecars:
                self._copy = Path(tempfile.mkdtemp(prefix="memvault-chroma-"))
                for source in (self.path, *sidecars, self.path.with_name(DB_FILE + "-shm")):
                    if source.exists():
                        shutil.copy2(source, self._copy / source.name)
                self.conn = apsw.Connection(
                    str(self._copy / DB_FILE), flags=apsw.SQLITE_OPEN_READWRITE
                )
            else:
                uri = f"file:{quote(str(self.path.resolve()))}?mode=ro&immutable=1"
                self.conn = apsw.Connection(
                    uri, flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI
                )
            self.tables = {
                str(row[0])
                for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        except apsw.Error as exc:
            self.close()
            raise self.error(exc) from exc
        except OSError as exc:
            self.close()
            raise StorageError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        missing = [t for t in REQUIRED_TABLES if t not in self.tables]
        if missing:
            self.close()
            raise InvalidInputError(
                f"{directory} is not a Chroma persistent directory: {DB_FILE} has no "
                f"{missing[0]} table"
            )

    def error(self, exc: apsw.Error) -> StorageError:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, apsw.NotADBError | apsw.CorruptError):
            text = "the file is damaged or not an SQLite database"
        return StorageError(f"cannot read {self.path}: {text}")

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        if self.conn is None:
            raise StorageError(f"{self.path} is closed")
        try:
            return [tuple(row) for row in self.conn.execute(sql, params)]
        except apsw.Error as exc:
            raise self.error(exc) from exc

    def columns(self, table: str) -> set[str]:
        return {str(row[1]) for row in self.rows(f"PRAGMA table_info({table})")}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self._copy is not None:
            shutil.rmtree(self._copy, ignore_errors=True)
            self._copy = None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def open_directory(directory: Path) -> tuple[Path, Database]:
    """The persistent directory (resolved; ``chroma.sqlite3`` itself names its folder) and its
    database, open; a path that is no Chroma directory is an :class:`InvalidInputError`."""
    directory = Path(directory).expanduser()
    if directory.is_file() and directory.name == DB_FILE:
        directory = directory.parent
    if not directory.exists():
        raise InvalidInputError(f"no such directory: {directory}")
    if not directory.is_dir():
        raise InvalidInputError(f"{directory} is a file, not a Chroma persistent directory")
    if not (directory / DB_FILE).is_file():
        raise InvalidInputError(f"{directory} is not a Chroma persistent directory: no {DB_FILE}")
    return directory.resolve(), Database(directory)


# -- the catalog: collections, their settings, segments -----------------------------------------


def collections(db: Database) -> list[Collection]:
    """Every collection (without its metadata, see :func:`settings`), by name."""
    columns = db.columns("collections")
    config = "c.config_json_str" if "config_json_str" in columns else "NULL"
    schema = "c.schema_str" if "schema_str" in columns else "NULL"
    if "database_id" in columns and "databases" in db.tables:
        place = "d.tenant_id, d.name"
        join = "LEFT JOIN databases d ON d.id = c.database_id"
    else:
        place, join = "NULL, NULL", ""
    rows = db.rows(
        f"SELECT c.id, c.name, c.dimension, {config}, {schema}, {place} "
        f"FROM collections c {join} ORDER BY c.name, c.id"
    )
    found = []
    for cid, plain, dimension, config_json, schema_json, tenant, database in rows:
        name = (
            plain
            if (tenant, database) in {(None, None), DEFAULT_PLACE}
            else (f"{tenant}/{database}/{plain}")
        )
        found.append(
            Collection(
                id=str(cid),
                name=str(name),
                dimension=int(dimension) if dimension else None,
                config=_json(config_json),
                schema=_json(schema_json),
            )
        )
    return found


def _json(text: object) -> dict[str, Any]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def settings(db: Database, table: str, key_column: str, owner: str) -> dict[str, Any]:
    """The typed key/value rows of ``collection_metadata`` or ``segment_metadata`` for one
    owner (empty when the table does not exist)."""
    if table not in db.tables:
        return {}
    rows = db.rows(
        f"SELECT key, str_value, int_value, float_value, bool_value FROM {table} "
        f"WHERE {key_column} = ?",
        (owner,),
    )
    return {str(key): value for key, *values in rows if (value := scalar(*values)) is not None}


def scalar(string: Any, integer: Any, real: Any, boolean: Any) -> str | int | float | bool | None:
    """One typed metadata cell, decoded in chromadb's own order of columns."""
    if string is not None:
        return str(string)
    if integer is not None:
        return int(integer)
    if real is not None:
        return float(real)
    if boolean is not None:
        return bool(boolean)
    return None


def segments(db: Database, collection_id: str) -> tuple[list[str], list[str]]:
    """The collection's metadata segment ids and its HNSW vector segment ids."""
    rows = db.rows("SELECT id, type, scope FROM segments WHERE collection = ?", (collection_id,))
    metadata = [str(s[0]) for s in rows if s[1] == METADATA_SEGMENT or s[2] == "METADATA"]
    vector = [str(s[0]) for s in rows if s[1] == HNSW_SEGMENT]
    return metadata, vector


# -- the vector segment's writes: flushed to the HNSW folder, or still queued ------------------


def seq_id(value: object) -> int:
    """0.x stores seq ids as 8- or 24-byte big-endian BLOBs, 1.x as integers."""
    if isinstance(value, bytes):
        return int.from_bytes(value, "big")
    return int(value) if isinstance(value, int) else 0


def max_seq_id(db: Database, segment_id: str) -> int:
    """The last write the segment flushed to its HNSW folder (0 when none is recorded)."""
    if "max_seq_id" not in db.tables:
        return 0
    rows = db.rows("SELECT seq_id FROM max_seq_id WHERE segment_id = ?", (segment_id,))
    return seq_id(rows[0][0]) if rows else 0


def queue(db: Database, collection_id: str, after: int) -> list[Row]:
    """``(seq_id, operation, id, vector, encoding)`` of the collection's writes after ``after``,
    in order (empty when there is no ``embeddings_queue``)."""
    if "embeddings_queue" not in db.tables:
        return []
    return db.rows(
        "SELECT seq_id, operation, id, vector, encoding FROM embeddings_queue "
        "WHERE (topic = ? OR topic LIKE ?) AND seq_id > ? ORDER BY seq_id",
        (collection_id, "%/" + collection_id, after),
    )


# -- the records of the metadata segment --------------------------------------------------------


def count(db: Database, segment_id: str) -> int:
    rows = db.rows("SELECT COUNT(*) FROM embeddings WHERE segment_id = ?", (segment_id,))
    return int(rows[0][0])


def ids(db: Database, segment_id: str) -> list[str]:
    """Every record's Chroma id, in insertion order."""
    rows = db.rows(
        "SELECT embedding_id FROM embeddings WHERE segment_id = ? ORDER BY id", (segment_id,)
    )
    return [str(row[0]) for row in rows]


def page(db: Database, segment_id: str, after: int, limit: int) -> list[tuple[int, str]]:
    """Up to ``limit`` records after ``embeddings.id`` ``after``: ``(id, chroma id)``."""
    rows = db.rows(
        "SELECT id, embedding_id FROM embeddings WHERE +segment_id = ? AND id > ? "
        "ORDER BY id LIMIT ?",
        (segment_id, after, limit),
    )
    return [(int(pk), str(chroma_id)) for pk, chroma_id in rows]


def metadata(db: Database, segment_id: str, first: int, last: int) -> dict[int, dict[str, Any]]:
    """Metadata (the document included) of the records ``first..last`` (``+segment_id``: walk
    the id range, not the segment's whole index, so each batch costs its own size)."""
    found: dict[int, dict[str, Any]] = {}
    rows = db.rows(
        "SELECT m.id, m.key, m.string_value, m.int_value, m.float_value, m.bool_value "
        "FROM embedding_metadata m JOIN embeddings e ON e.id = m.id "
        "WHERE +e.segment_id = ? AND m.id BETWEEN ? AND ? ORDER BY m.id, m.key",
        (segment_id, first, last),
    )
    for pk, key, *values in rows:
        value = scalar(*values)
        if value is not None:
            found.setdefault(int(pk), {})[str(key)] = value
    if "embedding_metadata_array" in db.tables:  # 1.x: list values, one row per element, in order
        rows = db.rows(
            "SELECT m.id, m.key, m.string_value, m.int_value, m.float_value, m.bool_value "
            "FROM embedding_metadata_array m JOIN embeddings e ON e.id = m.id "
            "WHERE +e.segment_id = ? AND m.id BETWEEN ? AND ? ORDER BY m.rowid",
            (segment_id, first, last),
        )
        for pk, key, *values in rows:
            value = scalar(*values)
            if value is not None:
                found.setdefault(int(pk), {}).setdefault(str(key), []).append(value)
    return found
