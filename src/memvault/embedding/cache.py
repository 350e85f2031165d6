"""An on-disk cache in front of any embedder, so the same text is never embedded twice.

Evaluating on SciFact means embedding 5,183 abstracts: minutes of CPU with the bundled model,
far more with a larger one. Each re-run (another storage kind, another fusion setting) would
pay it again for identical vectors; with this cache only the first run does.

Vectors are keyed by the embedder's ``model_id`` and the SHA-256 of the exact text, with
documents and queries apart (e5 and nomic embed a query differently from a passage). They live
in numpy ``.npz`` shards, one per batch of new vectors, under a folder per model: a shard is
written to a temporary name and renamed into place, so a killed process leaves no half file,
and two processes sharing the folder only ever add whole shards. Anything unreadable (missing
folder, damaged or foreign shard, full disk) is treated as a miss: the vectors are recomputed,
never guessed. No database here: only ``memvault.storage`` may hold one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import uuid
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memvault.embedding.base import Embedder

if TYPE_CHECKING:
    from memvault.embedding.base import Vectors

# Many small shards make start-up slow (one file open each); past this many, merge them.
COMPACT_AFTER = 32
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class CachedEmbedder:
    """Wraps ``inner``; same vectors, same ``model_id``, but each text is embedded once."""

    def __init__(
        self, inner: Embedder, cache_dir: str | os.PathLike[str], *, cache_queries: bool = True
    ) -> None:
        self._inner = inner
        self._root = Path(cache_dir).expanduser()
        self._cache_queries = cache_queries
        self._lock = threading.Lock()  # the vault's job queue may embed from another thread
        self._shelves: dict[str, _Shelf] = {}

    @property
    def inner(self) -> Embedder:
        return self._inner

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimensions(self) -> int:
        return self._inner.dimensions

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            return self._inner.embed_documents(texts)  # it rejects them with its own message
        return self._cached("documents", list(texts), self._inner.embed_documents)

    def embed_query(self, text: str) -> Vectors:
        if not self._cache_queries:
            return self._inner.embed_query(text)
        vectors = self._cached("queries", [text], lambda t: self._inner.embed_query(t[0])[None])
        vector: Vectors = vectors[0]
        return vector

    def _cached(
        self, kind: str, texts: list[str], compute: Callable[[list[str]], Vectors]
    ) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        keys = [_digest(text) for text in texts]
        found: dict[bytes, Vectors] = {}
        with self._lock:
            shelf = self._shelf(kind)
            for key in keys:
                vector = shelf.get(key)
                if vector is not None:
                    found[key] = vector
        # Embed each distinct missing text once, even when a batch repeats it.
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found:
                missing.setdefault(key, text)
        if missing:
            fresh = compute(list(missing.values()))
            new = dict(zip(missing.keys(), fresh, strict=True))
            found.update(new)
            with self._lock:
                shelf.add(new)
        out: Vectors = np.stack([found[key] for key in keys]).astype(np.float32, copy=False)
        return out

    def _shelf(self, kind: str) -> _Shelf:
        if kind not in self._shelves:
            model = self._inner.model_id
            slug = _UNSAFE.sub("_", model)[:64]
            folder = self._root / f"{slug}-{_digest(model).hex()[:12]}" / kind
            self._shelves[kind] = _Shelf(folder, self._inner.dimensions)
        return self._shelves[kind]


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class _Shelf:
    """One folder of shards for one model and kind, loaded whole into memory on first use."""

    def __init__(self, folder: Path, dimensions: int) -> None:
        self._folder = folder
        self._dimensions = dimensions
        self._vectors: dict[bytes, Vectors] = {}
        # Every shard file seen, readable or not: compaction replaces them all with one.
        self._loaded: list[Path] = []
        for shard in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
            self._read(shard)
            self._loaded.append(shard)

    def get(self, key: bytes) -> Vectors | None:
        return self._vectors.get(key)

    def add(self, new: dict[bytes, Vectors]) -> None:
        self._vectors.update(new)
        written = self._write(new)
        if written is not None:
            self._loaded.append(written)
        if len(self._loaded) > COMPACT_AFTER:
            self._compact()

    def _read(self, shard: Path) -> None:
        try:
            with np.load(shard, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return  # damaged, or removed by another process meanwhile: those texts are misses
        rows = len(keys)
        if (
            keys.dtype != np.uint8
            or keys.shape != (rows, 32)
            or vectors.dtype != np.float32
            or vectors.shape != (rows, self._dimensions)
            or not np.isfinite(vectors).all()
        ):
            return
        for key, vector in zip(keys, vectors, strict=True):
            self._vectors[key.tobytes()] = vector

    def _write(self, new: dict[bytes, Vectors]) -> Path | None:
        target = self._folder / f"{uuid.uuid4().hex}.npz"
        partial = self._folder / f".{target.name}.{os.getpid()}.part"
        # Digests as raw uint8 rows: numpy's bytes dtype would drop trailing zero bytes.
        keys = np.frombuffer(b"".join(new.keys()), dtype=np.uint8).reshape(len(new), 32)
        vectors = np.stack(list(new.values())).astype(np.float32, copy=False)
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            with partial.open("wb") as handle:
                np.savez(handle, keys=keys, vectors=vectors)
            os.replace(partial, target)
        except OSError:
            # A read-only or full disk costs speed, not results: keep going uncached.
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            return None
        return target

    def _compact(self) -> None:
        merged = self._write(self._vectors)
        if merged is None:
            return
        # Only the shards this process read or wrote: another process's new shard survives.
        for shard in self._loaded:
            with contextlib.suppress(OSError):
                shard.unlink(missing_ok=True)
        self._loaded = [merged]
