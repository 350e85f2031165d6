"""Vectors of memories and the persistent embed job queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from memvault.core.vector_records import (
    EmbedTask,
    JobCounts,
    JobFailure,
    VectorConfig,
    VectorStorage,
)

if TYPE_CHECKING:
    from memvault.storage.roles.common import Matrix


class VectorStore(Protocol):
    """Vectors of memories and the persistent queue of embed jobs that fills them."""

    def vector_config(self) -> VectorConfig | None:
        """The model and storage of the vault's vectors; None before the first vector."""
        ...

    def enqueue_missing_embeddings(self) -> int:
        """Queue an embed job for every memory with no vector and no job; returns how many."""
        ...

    def running_job_owners(self) -> list[str]:
        """Owners of the leases currently held."""
        ...

    def claim_embed_jobs(
        self,
        owner: str,
        *,
        limit: int,
        lease_seconds: float,
        dead_owners: Sequence[str] = (),
        max_attempts: int = 5,
    ) -> list[EmbedTask]:
        """Atomically lease up to ``limit`` ready jobs; leases of ``dead_owners`` are void.

        A job already claimed ``max_attempts`` times without an outcome is parked as failed.
        """
        ...

    def store_embeddings(
        self,
        owner: str,
        *,
        model_id: str,
        storage: VectorStorage,
        job_ids: Sequence[int],
        embeddings: Matrix,
    ) -> int:
        """Write the vectors of jobs ``owner`` still holds and mark them done; returns how many.

        Raises ModelMismatchError if the vault's vectors come from another model.
        """
        ...

    def fail_embed_jobs(
        self,
        owner: str,
        job_ids: Sequence[int],
        error: str,
        *,
        max_attempts: int,
        backoff_seconds: float,
    ) -> None:
        """Back off and retry the jobs ``owner`` holds, or park them once out of attempts."""
        ...

    def release_jobs(self, owner: str) -> None:
        """Give back what ``owner`` holds (a clean shutdown) without using up a try."""
        ...

    def retry_failed_jobs(self) -> int:
        """Queue every parked job again; returns how many."""
        ...

    def job_counts(self) -> JobCounts: ...

    def has_pending_jobs(self) -> bool:
        """Whether any job is queued or running (cheap, unlike ``job_counts``)."""
        ...

    def job_failures(self, limit: int) -> list[JobFailure]:
        """Parked jobs, newest first."""
        ...

    def reset_vectors(self) -> None:
        """Drop every vector and job (a re-embed starts from here)."""
        ...
