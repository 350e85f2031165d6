"""A ChromaDB persistent directory as an import source, read straight from its files.

chromadb is never imported: documents and metadata come from ``chroma.sqlite3`` (opened
read-only and ``immutable``, so SQLite takes no lock and creates no -journal/-wal/-shm file;
:mod:`memvault.importers.readers.chroma_sqlite`), vectors from the collection's HNSW segment
folder (:mod:`memvault.importers.readers.hnsw`) and, for writes Chroma has not flushed to that
folder yet, from the ``embeddings_queue`` table. This module puts them together: it picks the
collection, replays the queue over the index and assembles the records.

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

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from memvault.core.errors import InvalidInputError, StorageError
from memvault.importers.readers import chroma_sqlite
from memvault.importers.readers.chroma_sqlite import Collection
from memvault.importers.readers.hnsw import HnswSegment
from memvault.importers.records import SourceBatch, SourceFailure, SourceRecord

DOCUMENT_KEY = "chroma:document"
ADD, UPDATE, UPSERT, DELETE = 0, 1, 2, 3  # embeddings_queue.operation, same in 0.x and 1.x

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class _Lost:
    """A queue write whose vector could not be decoded: the flushed vector is stale."""

    reason: str


_DELETED = object()


# -- the source ---------------------------------------------------------------------------------


class ChromaSource:
    """One collection of a Chroma persistent directory (chromadb 0.x or 1.x)."""

    def __init__(self, directory: Path, collection: str | None = None) -> None:
        self._directory, self._db = chroma_sqlite.open_directory(directory)
        self._hnsw: HnswSegment | None = None
        self._lost: tuple[str, ...] | None = None
        self._folder: Path | None = None
        try:
            self._collection = self._pick(collection)
            self._load()
        except BaseException:
            self.close()
            raise

    def _pick(self, wanted: str | None) -> Collection:
        found = chroma_sqlite.collections(self._db)
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
        metadata = chroma_sqlite.settings(
            self._db, "collection_metadata", "collection_id", chosen.id
        )
        return Collection(
            chosen.id, chosen.name, chosen.dimension, chosen.config, chosen.schema, metadata
        )

    def _load(self) -> None:
        db, collection = self._db, self._collection
        metadata_ids, vector_ids = chroma_sqlite.segments(db, collection.id)
        if not metadata_ids:
            raise StorageError(f"Chroma collection {collection.name!r} has no metadata segment")
        self._metadata_segment = metadata_ids[0]
        self._space = self._find_space(vector_ids)
        flushed = 0
        self._folder = self._directory / vector_ids[0] if vector_ids else None
        if vector_ids:
            flushed = chroma_sqlite.max_seq_id(db, vector_ids[0])
            self._hnsw = HnswSegment(
                self._directory / vector_ids[0],
                dimension=collection.dimension,
                cosine=self._space == "cosine",
                expected=flushed > 0,
            )
            if not flushed and self._hnsw.legacy_max_seq_id:
                flushed = self._hnsw.legacy_max_seq_id
        self._queue = self._replay_queue(flushed)

    def _find_space(self, vector_ids: list[str]) -> str:
        collection = self._collection
        index = _vector_index_config(collection.schema)
        segment = (
            chroma_sqlite.settings(self._db, "segment_metadata", "segment_id", vector_ids[0])
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
        rows = chroma_sqlite.queue(self._db, self._collection.id, flushed)
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
            ids = chroma_sqlite.ids(self._db, self._metadata_segment)
            self._lost = tuple(i for i in ids if not self._has_vector(i))
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
        return chroma_sqlite.count(self._db, self._metadata_segment)

    def batches(self, *, batch_size: int, resume: str | None = None) -> Iterator[SourceBatch]:
        if batch_size < 1:
            raise InvalidInputError("batch_size must be at least 1")
        after = _checkpoint(resume)
        while True:
            rows = chroma_sqlite.page(self._db, self._metadata_segment, after, batch_size)
            if not rows:
                return
            first, last = rows[0][0], rows[-1][0]
            metadata = chroma_sqlite.metadata(self._db, self._metadata_segment, first, last)
            records: list[SourceRecord] = []
            failures: list[SourceFailure] = []
            for pk, chroma_id in rows:
                values = metadata.get(pk, {})
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


def _embedding_function(collection: Collection) -> str | None:
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
