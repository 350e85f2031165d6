"""Records of ``memvault repair`` and ``memvault compact``: what was (or would be) done."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from memvault.core.records import CheckReport


@dataclass(frozen=True, slots=True)
class RepairAction:
    """One step of a repair: the check that asked for it, what it does, and how many records
    it touched (``done`` False: planned only, by ``--dry-run``, or not something repair does)."""

    check: str
    action: str
    count: int
    done: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RepairReport:
    dry_run: bool
    actions: tuple[RepairAction, ...]
    before: CheckReport
    after: CheckReport | None  # None on a dry run

    @property
    def ok(self) -> bool:
        return (self.after or self.before).ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "actions": [a.to_dict() for a in self.actions],
            "before": self.before.to_dict(),
            "after": None if self.after is None else self.after.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class CompactReport:
    """Sizes on disk (the database file and its WAL) before and after a compaction."""

    db_bytes_before: int
    wal_bytes_before: int
    db_bytes_after: int
    wal_bytes_after: int
    seconds: float
    note: str = ""  # e.g. why the WAL could not be truncated yet

    @property
    def freed_bytes(self) -> int:
        before = self.db_bytes_before + self.wal_bytes_before
        return before - self.db_bytes_after - self.wal_bytes_after

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "freed_bytes": self.freed_bytes}
