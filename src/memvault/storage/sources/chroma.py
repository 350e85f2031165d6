"""A ChromaDB persistent directory as an import source, read straight from its files.

chromadb is never imported: documents and metadata come from ``chroma.sqlite3`` (opened
read-only and ``immutable``, so SQLite takes no lock and creates no -journal/-wal/-shm file),
vectors from the collection's HNSW segment folder (:mod:`memvault.storage.sources.hnsw`) and,
for writes Chroma has not flushed to that folder yet, from the ``embeddings_queue`` table.

Both layouts are read: chromadb 0.x (Python; ``seq_id`` stored as 8/24-byte big-endian BLOBs,
the index mapping pickled as a ``PersistentData`` object, the space in ``hnsw:space`` metadata,
no embedding function recorded) and 1.x (Rust; integer ``seq_id``, a plain-dict pickle, the
space and embedding function in ``config_json_str`` (1.0) or ``schema_str`` (later 1.x), list
metadata in ``embedding_metadata_array``). Checked against 0.6.3, 1.0.0 and 1.5.9.

Records come in the metadata segment's insertion order (``embeddings.id``, also the
checkpoint). A record whose vector cannot be read (HNSW files missing, truncated or refused)
still comes back, with ``vector=None``; :attr:`ChromaSource.lost_vectors` lists those ids and
:attr:`ChromaSource.vector_problems` says why.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import apsw
import numpy as np
import numpy.typing as npt

from memvault.errors import InvalidInputError, StorageError
from memvault.importers.source import SourceBatch, SourceFailure, SourceRecord
from memvault.storage.sources.hnsw import HnswSegment

DB_FILE = "chroma.sqlite3"
HNSW_SEGMENT = "urn:chroma:segment/vector/hnsw-local-persisted"
METADATA_SEGMENT = "urn:chroma:segment/metadata/sqlite"
DOCUMENT_KEY = "chroma:document"
DEFAULT_PLACE = ("default_tenant", "default_database")
REQUIRED_TABLES = ("collections", "segments", "embeddings", "embedding_metadata")
ADD, UPDATE, UPSERT, DELETE = 0, 1, 2, 3  # embeddings_queue.operation, same in 0.x and 1.x

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class _Collection:
    id: str
    name: str  # as the user names it: plain, or tenant/database/name outside the default
    dimension: int | None
    config: dict[str, Any]
    schema: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Lost:
    """A queue write whose vector could not be decoded: the flushed vector is stale."""

    reason: str


_DELETED = object()


# -- the database file --------------------------------------------------------------------------


class _Database:
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

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
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


def _open(directory: Path) -> tuple[Path, _Database]:
    directory = Path(directory).expanduser()
    if directory.is_file() and directory.name == DB_FILE:
        directory = directory.parent
    if not directory.exists():
        raise InvalidInputError(f"no such directory: {directory}")
    if not directory.is_dir():
        raise InvalidInputError(f"{directory} is a file, not a Chroma persistent directory")
    if not (directory / DB_FILE).is_file():
        raise InvalidInputError(f"{directory} is not a Chroma persistent directory: no {DB_FILE}")
    return directory.resolve(), _Database(directory)


def _collections(db: _Database) -> list[_Collection]:
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
            _Collection(
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


def _settings(db: _Database, table: str, key_column: str, owner: str) -> dict[str, Any]:
    if table not in db.tables:
        return {}
    rows = db.rows(
        f"SELECT key, str_value, int_value, float_value, bool_value FROM {table} "
        f"WHERE {key_column} = ?",
        (owner,),
    )
    return {str(key): value for key, *values in rows if (value := _scalar(*values)) is not None}


def _scalar(string: Any, integer: Any, real: Any, boolean: Any) -> str | int | float | bool | None:
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


def _seq_id(value: object) -> int:
    """0.x stores seq ids as 8- or 24-byte big-endian BLOBs, 1.x as integers."""
    if isinstance(value, bytes):
        return int.from_bytes(value, "big")
    return int(value) if isinstance(value, int) else 0


def list_collections(directory: Path) -> list[str]:
    """Names of the collections in a Chroma persistent directory (sorted)."""
    _, db = _open(directory)
    try:
        return sorted(c.name for c in _collections(db))
    finally:
        db.close()


# -- the source ---------------------------------------------------------------------------------


class ChromaSource:
    """One collection of a Chroma persistent directory (chromadb 0.x or 1.x)."""

    def __init__(self, directory: Path, collection: str | None = None) -> None:
        self._directory, self._db = _open(directory)
        self._hnsw: HnswSegment | None = None
        self._lost: tuple[str, ...] | None = None
        self._folder: Path | None = None
        try:
            self._collection = self._pick(collection)
            self._load()
        except BaseException:
            self.close()
            raise

    def _pick(self, wanted: str | None) -> _Collection:
        found = _collections(self._db)
        names = sorted(c.name for c in found)
        if wanted is None:
            if len(found) == 1:
                chosen = found[0]
            elif not found:
                raise InvalidInputError(f"{self._directory} holds no Chroma collection")
            else:
                raise InvalidInputError(
                    f"{self._directory} holds {len(found)} Chroma collections; pick one of: "
                    + ", ".join(names)
                )
        else:
            matches = [c for c in found if c.name == wanted]
            if not matches:
                raise InvalidInputError(
                    f"no Chroma collection {wanted!r} in {self._directory}; it holds: "
                    + (", ".join(names) or "none")
                )
            chosen = matches[0]
        metadata = _settings(self._db, "collection_metadata", "collection_id", chosen.id)
        return _Collection(
            chosen.id, chosen.name, chosen.dimension, chosen.config, chosen.schema, metadata
        )

    def _load(self) -> None:
        db, collection = self._db, self._collection
        segments = db.rows(
            "SELECT id, type, scope FROM segments WHERE collection = ?", (collection.id,)
        )
        metadata_ids = [
            str(s[0]) for s in segments if s[1] == METADATA_SEGMENT or s[2] == "METADATA"
        ]
        if not metadata_ids:
            raise StorageError(f"Chroma collection {collection.name!r} has no metadata segment")
        self._metadata_segment = metadata_ids[0]
        vector_ids = [str(s[0]) for s in segments if s[1] == HNSW_SEGMENT]
        self._space = self._find_space(vector_ids)
        self._arrays = "embedding_metadata_array" in db.tables
        flushed = 0
        self._folder = self._directory / vector_ids[0] if vector_ids else None
        if vector_ids:
            flushed = self._max_seq_id(vector_ids[0])
            self._hnsw = HnswSegment(
                self._directory / vector_ids[0],
                dimension=collection.dimension,
                cosine=self._space == "cosine",
                expected=flushed > 0,
            )
            if not flushed and self._hnsw.legacy_max_seq_id:
                flushed = self._hnsw.legacy_max_seq_id
        self._queue = self._replay_queue(flushed)

    def _max_seq_id(self, segment_id: str) -> int:
        if "max_seq_id" not in self._db.tables:
            return 0
        rows = self._db.rows("SELECT seq_id FROM max_seq_id WHERE segment_id = ?", (segment_id,))
        return _seq_id(rows[0][0]) if rows else 0

    def _find_space(self, vector_ids: list[str]) -> str:
        collection = self._collection
        index = _vector_index_config(collection.schema)
        segment = (
            _settings(self._db, "segment_metadata", "segment_id", vector_ids[0])
            if vector_ids
            else {}
        )
        candidates = (
            index.get("space"),
            collection.metadata.get("hnsw:space"),
            segment.get("hnsw:space"),
            _dict(_dict(collection.config.get("vector_index")).get("hnsw")).get("space"),  # 1.0
            _dict(collection.config.get("hnsw")).get("space"),
            _dict(collection.config.get("hnsw_configuration")).get("space"),  # 0.6: a default
        )
        return next((str(c) for c in candidates if isinstance(c, str) and c), "l2")

    def _replay_queue(self, flushed: int) -> dict[str, object]:
        """Writes after the last HNSW flush, replayed in order: id -> vector, deleted or lost.

        Mirrors Chroma: ADD of an id the index holds is ignored, UPDATE of an id it lacks is
        ignored, UPSERT always applies, DELETE removes; an UPDATE without a vector keeps the
        old one. When the index mapping is lost, presence is unknown and writes apply.
        """
        if "embeddings_queue" not in self._db.tables:
            return {}
        rows = self._db.rows(
            "SELECT seq_id, operation, id, vector, encoding FROM embeddings_queue "
            "WHERE (topic = ? OR topic LIKE ?) AND seq_id > ? ORDER BY seq_id",
            (self._collection.id, "%/" + self._collection.id, flushed),
        )
        state: dict[str, object] = {}
        for seq_id, operation, chroma_id, blob, encoding in rows:
            key = str(chroma_id)
            if operation == DELETE:
                state[key] = _DELETED
                continue
            if key in state:
                present: bool | None = state[key] is not _DELETED
            else:
                present = self._hnsw.contains(key) if self._hnsw is not None else False
            if operation == ADD and present is True:
                continue
            if operation == UPDATE and (present is False or blob is None):
                continue
            if operation not in (ADD, UPDATE, UPSERT):
                state[key] = _Lost(f"queue entry {seq_id} has unknown operation {operation}")
                continue
            state[key] = self._decode(blob, encoding, seq_id)
        return state

    def _decode(self, blob: object, encoding: object, seq_id: int) -> Vector | _Lost:
        dtype = {"FLOAT32": "<f4", "INT32": "<i4"}.get(str(encoding).upper())
        if not isinstance(blob, bytes) or dtype is None or len(blob) % 4:
            return _Lost(f"queue entry {seq_id} has no readable vector ({encoding})")
        vector = np.frombuffer(blob, dtype=dtype).astype(np.float32)
        dimension = self._collection.dimension
        if dimension is not None and len(vector) != dimension:
            return _Lost(f"queue entry {seq_id} has {len(vector)} dimensions, not {dimension}")
        return vector

    # -- Source --------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return f"chroma://{self._directory}/{self._collection.name}"

    @property
    def collection(self) -> str:
        return self._collection.name

    @property
    def index_folder(self) -> Path | None:
        """The collection's HNSW segment folder (whether or not it exists), if it has one."""
        return self._folder

    @property
    def space(self) -> str:
        """The distance space of the collection's index: ``l2``, ``cosine`` or ``ip``."""
        return self._space

    @property
    def vector_note(self) -> str | None:
        collection = self._collection
        dimension = collection.dimension
        if dimension is None and self._hnsw is not None and self._hnsw.dimension:
            dimension = self._hnsw.dimension
        size = f"{dimension}-d" if dimension else "dimension unknown"
        function = _embedding_function(collection)
        described = (
            f"embedding function {function}" if function else "embedding function not recorded"
        )
        return f"Chroma collection {collection.name!r}: {size}, {self._space} space, {described}"

    @property
    def lost_vectors(self) -> tuple[str, ...]:
        """Ids (in source order) whose vector could not be read: their records come back with
        ``vector=None`` so the importer embeds them again."""
        if self._lost is None:
            rows = self._db.rows(
                "SELECT embedding_id FROM embeddings WHERE segment_id = ? ORDER BY id",
                (self._metadata_segment,),
            )
            self._lost = tuple(str(row[0]) for row in rows if not self._has_vector(str(row[0])))
        return self._lost

    @property
    def vector_problems(self) -> tuple[str, ...]:
        """Why vectors were lost, one line each (empty when every file was readable)."""
        problems = list(self._hnsw.problems) if self._hnsw is not None else []
        problems += sorted({v.reason for v in self._queue.values() if isinstance(v, _Lost)})
        if not problems and self.lost_vectors:
            problems.append(
                f"{len(self.lost_vectors)} records have a vector neither in the HNSW index nor "
                "in embeddings_queue"
            )
        return tuple(problems)

    def count(self) -> int:
        rows = self._db.rows(
            "SELECT COUNT(*) FROM embeddings WHERE segment_id = ?", (self._metadata_segment,)
        )
        return int(rows[0][0])

    def batches(self, *, batch_size: int, resume: str | None = None) -> Iterator[SourceBatch]:
        if batch_size < 1:
            raise InvalidInputError("batch_size must be at least 1")
        after = _checkpoint(resume)
        while True:
            rows = self._db.rows(
                "SELECT id, embedding_id FROM embeddings WHERE +segment_id = ? AND id > ? "
                "ORDER BY id LIMIT ?",
                (self._metadata_segment, after, batch_size),
            )
            if not rows:
                return
            first, last = int(rows[0][0]), int(rows[-1][0])
            metadata = self._metadata(first, last)
            records: list[SourceRecord] = []
            failures: list[SourceFailure] = []
            for pk, raw_id in rows:
                chroma_id = str(raw_id)
                values = metadata.get(int(pk), {})
                document = values.pop(DOCUMENT_KEY, None)
                if not isinstance(document, str) or not document.strip():
                    reason = "has no document" if document is None else "has an empty document"
                    failures.append(
                        SourceFailure(chroma_id, f"Chroma record {reason}: nothing to import")
                    )
                    continue
                records.append(
                    SourceRecord(
                        source_id=chroma_id,
                        content=document,
                        created_at=_timestamp(values.get("created_at")),
                        updated_at=_timestamp(values.get("updated_at")),
                        metadata=values,
                        vector=self._vector(chroma_id),
                    )
                )
            after = last
            yield SourceBatch(tuple(records), tuple(failures), checkpoint=str(last))

    def search(self, query: str, k: int) -> list[str] | None:
        return None

    def close(self) -> None:
        if self._hnsw is not None:
            self._hnsw.close()
            self._hnsw = None
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()

    def __enter__(self) -> ChromaSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- records -------------------------------------------------------------------------------

    def _metadata(self, first: int, last: int) -> dict[int, dict[str, Any]]:
        """Metadata of the records ``first..last`` (``+segment_id``: walk the id range, not the
        segment's whole index, so each batch costs its own size)."""
        found: dict[int, dict[str, Any]] = {}
        rows = self._db.rows(
            "SELECT m.id, m.key, m.string_value, m.int_value, m.float_value, m.bool_value "
            "FROM embedding_metadata m JOIN embeddings e ON e.id = m.id "
            "WHERE +e.segment_id = ? AND m.id BETWEEN ? AND ? ORDER BY m.id, m.key",
            (self._metadata_segment, first, last),
        )
        for pk, key, *values in rows:
            value = _scalar(*values)
            if value is not None:
                found.setdefault(int(pk), {})[str(key)] = value
        if self._arrays:  # 1.x: list values, one row per element, in insertion order
            rows = self._db.rows(
                "SELECT m.id, m.key, m.string_value, m.int_value, m.float_value, m.bool_value "
                "FROM embedding_metadata_array m JOIN embeddings e ON e.id = m.id "
                "WHERE +e.segment_id = ? AND m.id BETWEEN ? AND ? ORDER BY m.rowid",
                (self._metadata_segment, first, last),
            )
            for pk, key, *values in rows:
                value = _scalar(*values)
                if value is not None:
                    found.setdefault(int(pk), {}).setdefault(str(key), []).append(value)
        return found

    def _has_vector(self, chroma_id: str) -> bool:
        if chroma_id in self._queue:
            return isinstance(self._queue[chroma_id], np.ndarray)
        return self._hnsw is not None and self._hnsw.has_vector(chroma_id)

    def _vector(self, chroma_id: str) -> Vector | None:
        if chroma_id in self._queue:
            queued = self._queue[chroma_id]
            return queued.copy() if isinstance(queued, np.ndarray) else None
        return self._hnsw.vector(chroma_id) if self._hnsw is not None else None


def _checkpoint(resume: str | None) -> int:
    if resume is None:
        return 0
    try:
        value = int(resume)
    except ValueError:
        value = -1
    if value < 0:
        raise InvalidInputError(f"{resume!r} is not a checkpoint of a Chroma source")
    return value


def _timestamp(value: object) -> str | None:
    """An ISO 8601 ``created_at``/``updated_at`` the user put in the metadata (else None)."""
    if not isinstance(value, str):
        return None
    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return value.strip()


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _vector_index_config(schema: dict[str, Any]) -> dict[str, Any]:
    """1.x ``schema_str``: the ``#embedding`` key's vector index config (else the default)."""
    for scope in (
        _dict(_dict(schema.get("keys")).get("#embedding")),
        _dict(schema.get("defaults")),
    ):
        config = _dict(_dict(_dict(scope.get("float_list")).get("vector_index")).get("config"))
        if config:
            return config
    return {}


def _embedding_function(collection: _Collection) -> str | None:
    for source in (
        _vector_index_config(collection.schema).get("embedding_function"),
        collection.config.get("embedding_function"),
    ):
        function = _dict(source)
        name = function.get("name")
        if isinstance(name, str) and name:
            return repr(name)
        kind = function.get("type")
        if isinstance(kind, str) and kind not in {"", "unknown"}:
            return f"of type {kind!r}"
    return None
