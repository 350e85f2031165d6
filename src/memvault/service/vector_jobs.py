"""The part of :class:`~memvault.service.vault.Vault` about vectors and the embed job queue.

A mixin only to keep ``vault.py`` readable; it uses the vault's store and embeddings.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from memvault.core.vector_records import (
    JobCounts,
    JobFailure,
    VectorConfig,
    VectorSettings,
    VectorStorage,
)
from memvault.service.worker import ProgressCallback, live_worker_running

if TYPE_CHECKING:
    from memvault.service.embeddings import Embeddings
    from memvault.storage.roles import Store


class VectorJobs:
    if TYPE_CHECKING:
        _store: Store
        _embeddings: Embeddings

    def wait_for_jobs(
        self, *, timeout: float | None = None, progress: ProgressCallback | None = None
    ) -> JobCounts:
        """Embed in this process until no job is pending (queued memories included)."""
        return self._embeddings.wait(timeout=timeout, progress=progress)

    def jobs(self) -> JobCounts:
        return self._store.job_counts()

    def job_failures(self, limit: int = 20) -> builtins.list[JobFailure]:
        return self._store.job_failures(limit)

    def worker_running(self) -> bool:
        """Whether some process on this machine is embedding this vault's jobs right now."""
        return live_worker_running(self._store)

    def retry_failed_jobs(self) -> int:
        return self._store.retry_failed_jobs()

    def configure_vectors(
        self, *, embedder: str | None = None, storage: VectorStorage | None = None
    ) -> None:
        """Save the embedder spec and vector storage as this vault's settings."""
        self._embeddings.save_settings(embedder=embedder, storage=storage)

    def vector_config(self) -> VectorConfig | None:
        """The model and storage of the stored vectors; None before the first one."""
        return self._store.vector_config()

    def vector_settings(self) -> VectorSettings:
        """The embedder this vault uses now and how it stores vectors."""
        return self._embeddings.settings()

    def embed_in_background(self) -> None:
        """Embed queued jobs in a background thread from now on (long-running processes:
        ``serve``, ``watch``), starting with any left queued by earlier processes."""
        self._embeddings.start_background()

    def embed_batch(self) -> int:
        """Embed one batch of queued jobs in the calling thread; the number settled (0: none
        waiting). For a host that shares one pool of threads among many vaults."""
        return self._embeddings.run_batch()

    def reembed(
        self, *, storage: VectorStorage | None = None, progress: ProgressCallback | None = None
    ) -> JobCounts:
        """Replace every vector with one from the current embedder (after a model change)."""
        return self._embeddings.reembed(storage=storage, progress=progress)
