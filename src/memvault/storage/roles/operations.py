"""The store as a whole: settings, health, where it is, its end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from memvault.core.records import (
    CheckReport,
    StoreStats,
)
from memvault.core.repair_records import CompactReport

if TYPE_CHECKING:
    pass


class Settings(Protocol):
    """Small named values of a vault (its embedder, its vector storage, DB-only mode)."""

    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...

    def swap_setting(self, key: str, expected: str | None, value: str | None) -> bool:
        """Set ``key`` to ``value`` (None: remove it) only if it is ``expected`` now (None:
        absent), in one transaction; whether it was. Of several processes racing to claim the
        same thing (a backup period), exactly one wins."""
        ...


class Operations(Protocol):
    """The store as a whole: where it is, its health, its end."""

    @property
    def location(self) -> str:
        """Where the data lives, for messages (a file path or a URL without its password)."""
        ...

    def local_files(self) -> list[Path]:
        """Files on this machine that are the store itself (a database file and its companions):
        never content to index. Empty for a server engine."""
        ...

    def stats(self) -> StoreStats: ...

    def check(self) -> CheckReport:
        """Integrity of the data and consistency of its indexes."""
        ...

    def backup(
        self,
        target: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        pinned: Callable[[], None] | None = None,
    ) -> StoreStats:
        """An online copy of the whole store, from one snapshot, into the new file ``target``,
        while writers carry on. ``pinned`` runs once the snapshot is fixed and before the copy
        (the caller copies what must match it); ``progress(done, total)`` reports the copy.
        Returns the counts of the snapshot copied."""
        ...

    # --- repair: rebuild what is derived, from what is the truth -----------------------------
    def rebuild_keyword_index(self) -> int:
        """Index every memory's text again from scratch; returns the rows written."""
        ...

    def drop_bad_vectors(self, *, requeue: bool) -> int:
        """Delete vectors of no memory, non-finite or of the wrong width (``requeue``: their
        memories get an embed job); returns how many were deleted."""
        ...

    def queue_lost_vectors(self) -> int:
        """Queue an embed job for every memory that was embedded once and has no vector now."""
        ...

    def release_stuck_jobs(self) -> int:
        """Queue again the jobs whose lease ran out or whose local holder is gone."""
        ...

    def rebuild_vector_snapshot(self) -> int:
        """Rebuild the vector index and its cached snapshot; returns the vectors in it."""
        ...

    def compact(self, *, wait_seconds: float = 60.0) -> CompactReport:
        """Give freed space back to the disk while other processes may hold the store; waits up
        to ``wait_seconds`` for a writer, then refuses (``StorageBusyError``), changing nothing."""
        ...

    def close(self) -> None: ...
