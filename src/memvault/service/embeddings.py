"""A vault's embeddings: which embedder makes them, query vectors, the worker keeping them current.

The embedder is chosen once per open vault, in this order: the caller's explicit choice, the
``MEMVAULT_EMBEDDER`` environment variable, the vault's own setting (``memvault init
--embedder``), then the bundled model. ``none`` turns vectors off: keyword search only, no jobs.

Models load lazily (the bundled one takes ~0.5 s), so opening a vault to read a memory by id
never pays for it.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from memvault.core.errors import InvalidInputError, ModelMismatchError
from memvault.core.vector_records import JobCounts, VectorConfig, VectorSettings, VectorStorage
from memvault.embedding.base import Embedder, EmbeddingError
from memvault.embedding.factory import DEFAULT_SPEC, make_embedder
from memvault.service.worker import EmbedWorker, ProgressCallback
from memvault.storage.roles import Settings, VectorStore

if TYPE_CHECKING:
    from memvault.embedding.base import Vectors

EMBEDDER_ENV = "MEMVAULT_EMBEDDER"
EMBEDDER_SETTING = "embedder"
STORAGE_SETTING = "vector_storage"
DEFAULT_STORAGE = VectorStorage.FLOAT32
NO_VECTORS = "none"


def parse_storage(value: str) -> VectorStorage:
    try:
        return VectorStorage(value.strip().lower())
    except ValueError:
        raise InvalidInputError(
            f"unknown vector storage {value!r}: use float32, int8 or bit"
        ) from None


class Embeddings:
    def __init__(
        self,
        store: VectorStore,
        settings: Settings,
        *,
        embedder: str | Embedder | None = None,
        storage: str | VectorStorage | None = None,
        background: bool = True,
    ) -> None:
        self._store = store
        self._settings = settings
        self._background = background
        self._lock = threading.Lock()
        self._worker: EmbedWorker | None = None
        self._embedder: Embedder | None = None
        if embedder is not None and not isinstance(embedder, str):
            self._embedder = embedder
            self.spec = embedder.model_id
        else:
            self.spec = (
                embedder
                or os.environ.get(EMBEDDER_ENV)
                or settings.get_setting(EMBEDDER_SETTING)
                or DEFAULT_SPEC
            ).strip()
        chosen = storage or settings.get_setting(STORAGE_SETTING) or DEFAULT_STORAGE
        self.storage = chosen if isinstance(chosen, VectorStorage) else parse_storage(chosen)

    @property
    def enabled(self) -> bool:
        return self.spec.lower() != NO_VECTORS

    def settings(self) -> VectorSettings:
        return VectorSettings(self.spec, self.storage, self.enabled)

    def has_vectors(self) -> bool:
        """Whether a vector search can run: vectors on, and the first ones stored."""
        return self.enabled and self._store.vector_config() is not None

    def embedder(self) -> Embedder:
        if not self.enabled:
            raise InvalidInputError(
                "this vault has vectors turned off (embedder 'none'); use keyword search, or "
                "set an embedder with `memvault init --embedder bundled`"
            )
        with self._lock:
            if self._embedder is None:
                self._embedder = make_embedder(self.spec)
            return self._embedder

    def check_model(self, config: VectorConfig | None) -> None:
        """Refuse to compare a query from one model with vectors from another."""
        if config is None:
            return
        embedder = self.embedder()
        if embedder.model_id != config.model_id:
            raise ModelMismatchError.between(
                config.model_id, config.dimensions, embedder.model_id, None
            )

    def embed_query(self, text: str) -> Vectors:
        config = self._store.vector_config()
        self.check_model(config)
        vector = self.embedder().embed_query(text)
        if config is not None and vector.shape[-1] != config.dimensions:
            raise ModelMismatchError.between(
                config.model_id, config.dimensions, config.model_id, int(vector.shape[-1])
            )
        return vector

    def save_settings(
        self, *, embedder: str | None = None, storage: VectorStorage | None = None
    ) -> None:
        if embedder is not None:
            if embedder.strip().lower() != NO_VECTORS:
                make_embedder(embedder)  # an unknown spec fails here, before it is saved
            self.spec = embedder.strip()
        if storage is not None:
            config = self._store.vector_config()
            if config is not None and config.storage is not storage:
                raise InvalidInputError(
                    f"this vault already stores {config.storage.value} vectors; change it with "
                    f"`memvault reembed --vector-storage {storage.value}`"
                )
            self.storage = storage
        self._settings.set_setting(EMBEDDER_SETTING, self.spec)
        self._settings.set_setting(STORAGE_SETTING, self.storage.value)

    # --- the worker -------------------------------------------------------------------------
    def _get_worker(self) -> EmbedWorker:
        with self._lock:
            if self._worker is None:
                self._worker = EmbedWorker(self._store, self.embedder, self.storage)
            return self._worker

    def run_batch(self) -> int:
        """One batch of the queue, embedded here (0 when vectors are off or nothing waits)."""
        if not self.enabled:
            return 0
        return self._get_worker().run_once()

    def start_background(self) -> None:
        """Embed in a background thread from now on (long-running commands such as watch)."""
        self._background = True
        self.written()

    def written(self) -> None:
        """New jobs were queued by this process: let the background worker at them."""
        if self.enabled and self._background:
            worker = self._get_worker()
            worker.start()
            worker.wake()

    def wait(
        self, *, timeout: float | None = None, progress: ProgressCallback | None = None
    ) -> JobCounts:
        if not self.enabled:
            return self._store.job_counts()
        self.check_model(self._store.vector_config())
        self._store.enqueue_missing_embeddings()
        return self._get_worker().drain(timeout=timeout, progress=progress)

    def reembed(
        self, *, storage: VectorStorage | None = None, progress: ProgressCallback | None = None
    ) -> JobCounts:
        """Throw away every vector and embed every memory again with the current embedder."""
        self.embedder()  # fail before dropping anything if the model cannot load
        if storage is not None:
            self.storage = storage
        self.close()
        self._store.reset_vectors()
        self._settings.set_setting(EMBEDDER_SETTING, self.spec)
        self._settings.set_setting(STORAGE_SETTING, self.storage.value)
        return self.wait(progress=progress)

    def close(self) -> None:
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()


__all__ = ["EmbeddingError", "Embeddings", "parse_storage"]
