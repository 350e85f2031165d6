"""The embedding worker: turns queued embed jobs into vectors, in the background.

Writes never wait for a model: ``remember`` commits the memory and its job together and returns.
This worker (one thread per process that writes or asks to wait) claims jobs in batches under a
lease, embeds them and stores the vectors with the job's completion in one transaction.

Crash safety comes from the database, not from this thread: a job whose worker died keeps its
lease until it expires, or, when the worker ran on this host, until another worker notices its
process is gone. Failures back off exponentially and, after ``max_attempts``, park the job as
``failed`` with its error for ``memvault jobs`` to show.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from memvault.core.errors import MemvaultError, ModelMismatchError
from memvault.core.ids import local_pid as _local_pid
from memvault.core.ids import owner_gone, owner_id
from memvault.core.ids import process_alive as _alive
from memvault.core.vector_records import JobCounts, VectorStorage
from memvault.embedding.base import Embedder, EmbeddingError
from memvault.storage.roles import VectorStore

log = logging.getLogger(__name__)

ProgressCallback = Callable[[JobCounts], None]
# A full batch embedded faster than this doubles the next one, up to MAX_BATCH: with a fast
# embedder (an API answering big batches, precomputed vectors) the per-batch transactions, not
# the model, were most of the cost of storing vectors. A slow local model never grows it.
FAST_BATCH_SECONDS = 0.05
MAX_BATCH = 512


class EmbedWorker:
    def __init__(
        self,
        store: VectorStore,
        embedder: Callable[[], Embedder],
        storage: VectorStorage,
        *,
        batch_size: int = 32,
        lease_seconds: float = 120.0,
        max_attempts: int = 5,
        backoff_seconds: float = 2.0,
        idle_poll_seconds: float = 1.0,
    ) -> None:
        self._store = store
        self._embedder = embedder  # called on first use: a model loads only when there is work
        self._storage = storage
        self._batch_size = batch_size
        self._batch = batch_size  # grows while batches embed fast (see FAST_BATCH_SECONDS)
        self._lease_seconds = lease_seconds
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self._idle_poll = idle_poll_seconds
        self.owner = owner_id()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fatal: MemvaultError | None = None
        self._run_lock = threading.Lock()

    # --- one step ---------------------------------------------------------------------------
    def run_once(self) -> int:
        """Claim one batch, embed it, store it; returns the number of jobs settled."""
        if self._fatal is not None:
            raise self._fatal
        with self._run_lock:
            tasks = self._store.claim_embed_jobs(
                self.owner,
                limit=self._batch,
                lease_seconds=self._lease_seconds,
                dead_owners=self._dead_owners(),
                max_attempts=self._max_attempts,
            )
            if not tasks:
                return 0
            job_ids = [task.job_id for task in tasks]
            try:
                import numpy as np  # here: a process that embeds nothing never loads it

                embedder = self._embedder()
                started = time.monotonic()
                embeddings = embedder.embed_documents([task.content for task in tasks])
                self._batch = next_batch(
                    self._batch, self._batch_size, len(tasks), time.monotonic() - started
                )
                finite = np.isfinite(embeddings).all(axis=1)
                if not finite.all():  # a provider's bad answer parks its jobs, not the batch
                    bad = [job_ids[i] for i in np.flatnonzero(~finite)]
                    self._fail(bad, "the embedder returned a vector with NaN or infinity")
                    job_ids = [job_ids[i] for i in np.flatnonzero(finite)]
                    embeddings = embeddings[finite]
                self._store.store_embeddings(
                    self.owner,
                    model_id=embedder.model_id,
                    storage=self._storage,
                    job_ids=job_ids,
                    embeddings=embeddings,
                )
                log.debug("embedded %d memories with %s", len(job_ids), embedder.model_id)
            except ModelMismatchError as exc:
                self._store.release_jobs(self.owner)
                self._fatal = exc
                raise
            except EmbeddingError as exc:
                log.warning("embedding %d memories failed: %s", len(job_ids), exc)
                self._fail(job_ids, str(exc))
            except Exception as exc:  # a bug in a provider must park jobs, not kill the thread
                log.exception("embedding failed")
                self._fail(job_ids, f"{type(exc).__name__}: {exc}")
            return len(tasks)

    def _fail(self, job_ids: list[int], error: str) -> None:
        self._store.fail_embed_jobs(
            self.owner,
            job_ids,
            error,
            max_attempts=self._max_attempts,
            backoff_seconds=self._backoff_seconds,
        )

    def _dead_owners(self) -> list[str]:
        """Owners on this host whose process no longer exists (killed, crashed)."""
        return [
            owner
            for owner in self._store.running_job_owners()
            if owner != self.owner and owner_gone(owner)
        ]

    # --- draining in the foreground ---------------------------------------------------------
    def drain(
        self, *, timeout: float | None = None, progress: ProgressCallback | None = None
    ) -> JobCounts:
        """Work until no job is queued or running (here or elsewhere), or ``timeout`` passes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        reported = 0.0
        while True:
            worked = self.run_once()
            # Counting every state costs milliseconds in a big queue: report at most 5 times a
            # second, and test for the end with a cheap EXISTS.
            if progress is not None and time.monotonic() - reported >= 0.2:
                progress(self._store.job_counts())
                reported = time.monotonic()
            if not self._store.has_pending_jobs():
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            if not worked:  # jobs held by another worker, or backing off: wait for them
                time.sleep(0.05)
        counts = self._store.job_counts()
        if progress is not None:
            progress(counts)
        return counts

    # --- running in the background ----------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="memvault-embed", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        try:
            self._store.release_jobs(self.owner)
        except MemvaultError:
            log.warning("could not release embed jobs on shutdown; their lease will expire")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except MemvaultError as exc:
                log.error("embedding worker stopped: %s", exc)
                return
            if not worked:
                self._wake.wait(self._idle_poll)
                self._wake.clear()


def next_batch(current: int, configured: int, size: int, seconds: float) -> int:
    """The next batch's size after one of ``size`` jobs embedded in ``seconds``: doubled after a
    full batch that was fast, halved (never under the configured size) after one that took ten
    times as long."""
    if size >= current and seconds < FAST_BATCH_SECONDS:
        return min(current * 2, max(MAX_BATCH, configured))
    if seconds >= 10 * FAST_BATCH_SECONDS:
        return max(current // 2, configured)
    return current


def live_worker_running(store: VectorStore) -> bool:
    """Whether a worker process on this host is holding jobs right now."""
    for owner in store.running_job_owners():
        pid = _local_pid(owner)
        if pid is not None and _alive(pid):
            return True
    return False
