"""What a backup says about itself: its manifest, and the report of making one.

The manifest is written last, beside the copies it lists, so a backup is trusted only when
every listed file is there with its size and SHA-256: a backup that was cut short, or a file
that rotted or was edited afterwards, fails verification before anything is restored from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1


@dataclass(frozen=True, slots=True)
class BackupFile:
    path: str  # posix, relative to the backup's root
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class BackupManifest:
    created_at: str  # ISO-8601 UTC: when the snapshot was taken
    memvault_version: str
    schema_version: int
    mode: str  # "vault" (database + Markdown folder) or "db-only"
    counts: dict[str, int] = field(default_factory=dict)
    files: tuple[BackupFile, ...] = ()
    format: int = MANIFEST_FORMAT

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "created_at": self.created_at,
            "memvault_version": self.memvault_version,
            "schema_version": self.schema_version,
            "mode": self.mode,
            "counts": dict(self.counts),
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BackupManifest:
        """Raises KeyError, TypeError or ValueError on a manifest that is not one."""
        files = tuple(
            BackupFile(str(f["path"]), int(f["size"]), str(f["sha256"])) for f in data["files"]
        )
        return cls(
            created_at=str(data["created_at"]),
            memvault_version=str(data["memvault_version"]),
            schema_version=int(data["schema_version"]),
            mode=str(data["mode"]),
            counts={str(k): int(v) for k, v in dict(data["counts"]).items()},
            files=files,
            format=int(data["format"]),
        )

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: str  # the finished backup (a folder, or a .tar.gz)
    manifest: BackupManifest
    seconds: float
    pruned: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "created_at": self.manifest.created_at,
            "mode": self.manifest.mode,
            "counts": dict(self.manifest.counts),
            "files": len(self.manifest.files),
            "bytes": self.manifest.total_bytes,
            "seconds": round(self.seconds, 3),
            "pruned": list(self.pruned),
        }


@dataclass(frozen=True, slots=True)
class RestoreReport:
    backup: str
    home: str
    created_at: str
    counts: dict[str, int]
    set_aside: str | None  # where the home's previous files were moved, if there were any
    check_ok: bool  # what ``check`` says of the restored vault
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "backup": self.backup,
            "home": self.home,
            "created_at": self.created_at,
            "counts": dict(self.counts),
            "set_aside": self.set_aside,
            "check": "ok" if self.check_ok else list(self.problems),
        }


class BackupPeriod(StrEnum):
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class BackupSchedule:
    """A backup the vault runs by itself, once per period (kept in the vault's settings)."""

    period: BackupPeriod
    dest: str
    compress: bool = False
    keep_last: int = 0
    keep_daily: int = 0
    keep_weekly: int = 0
    keep_monthly: int = 0

    def period_of(self, at: datetime) -> str:
        """The period ``at`` falls in (UTC), named so two processes agree on it."""
        at = at.astimezone(UTC)
        if self.period is BackupPeriod.HOURLY:
            return f"hourly:{at:%Y-%m-%dT%H}"
        if self.period is BackupPeriod.DAILY:
            return f"daily:{at:%Y-%m-%d}"
        year, week, _ = at.isocalendar()
        return f"weekly:{year}-W{week:02d}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.value,
            "dest": self.dest,
            "compress": self.compress,
            "keep_last": self.keep_last,
            "keep_daily": self.keep_daily,
            "keep_weekly": self.keep_weekly,
            "keep_monthly": self.keep_monthly,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BackupSchedule:
        return cls(
            period=BackupPeriod(data["period"]),
            dest=str(data["dest"]),
            compress=bool(data.get("compress", False)),
            keep_last=int(data.get("keep_last", 0)),
            keep_daily=int(data.get("keep_daily", 0)),
            keep_weekly=int(data.get("keep_weekly", 0)),
            keep_monthly=int(data.get("keep_monthly", 0)),
        )
