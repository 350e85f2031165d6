"""The store as a whole: settings, health, where it is, its end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from memvault.core.records import (
    CheckReport,
    StoreStats,
)

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

    def close(self) -> None: ...
