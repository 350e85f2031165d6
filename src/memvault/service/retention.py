"""Retention of the session layer: sessions idle long enough are archived, old summarised
messages deleted; handoffs, costs and every message not yet summarised are kept.

The rules are settings of the vault (``memvault session prune`` shows and applies them, the MCP
server applies them at start). A dry run reports exactly what a real run would do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.core.times import format_timestamp
from memvault.storage.roles import SessionStore, Settings

ARCHIVE_SETTING = "retention.archive_idle_days"
DELETE_SETTING = "retention.delete_summarised_days"
DEFAULT_ARCHIVE_DAYS = 30
DEFAULT_DELETE_DAYS = 90
MAX_DAYS = 36_500


@dataclass(frozen=True, slots=True)
class RetentionRules:
    archive_idle_days: int = DEFAULT_ARCHIVE_DAYS  # 0: never archive
    delete_summarised_days: int = DEFAULT_DELETE_DAYS  # 0: never delete

    def to_dict(self) -> dict[str, Any]:
        return {
            "archive_idle_days": self.archive_idle_days,
            "delete_summarised_days": self.delete_summarised_days,
        }


@dataclass(frozen=True, slots=True)
class PruneReport:
    rules: RetentionRules
    dry_run: bool
    archived: tuple[str, ...]  # session ids
    deleted: dict[str, int]  # messages deleted, by session id

    @property
    def deleted_messages(self) -> int:
        return sum(self.deleted.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "rules": self.rules.to_dict(),
            "archived_sessions": list(self.archived),
            "deleted_messages": self.deleted_messages,
            "sessions_with_deleted_messages": len(self.deleted),
        }


class Retention:
    def __init__(self, sessions: SessionStore, settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings

    def rules(self) -> RetentionRules:
        return RetentionRules(
            _days(self._settings.get_setting(ARCHIVE_SETTING), DEFAULT_ARCHIVE_DAYS),
            _days(self._settings.get_setting(DELETE_SETTING), DEFAULT_DELETE_DAYS),
        )

    def set_rules(
        self, *, archive_idle_days: int | None = None, delete_summarised_days: int | None = None
    ) -> RetentionRules:
        if archive_idle_days is not None:
            days = inputs.count(archive_idle_days, "archive_idle_days", MAX_DAYS)
            self._settings.set_setting(ARCHIVE_SETTING, str(days))
        if delete_summarised_days is not None:
            days = inputs.count(delete_summarised_days, "delete_summarised_days", MAX_DAYS)
            self._settings.set_setting(DELETE_SETTING, str(days))
        return self.rules()

    def prune(self, *, dry_run: bool = False, now: datetime | None = None) -> PruneReport:
        rules = self.rules()
        moment = now or datetime.now(UTC)
        archived: list[str] = []
        deleted: dict[str, int] = {}
        if rules.archive_idle_days:
            before = format_timestamp(moment - timedelta(days=rules.archive_idle_days))
            archived = self._sessions.archive_idle_sessions(before, dry_run=dry_run)
        if rules.delete_summarised_days:
            before = format_timestamp(moment - timedelta(days=rules.delete_summarised_days))
            deleted = self._sessions.prune_summarised_messages(before, dry_run=dry_run)
        return PruneReport(rules, dry_run, tuple(archived), deleted)


def _days(value: str | None, default: int) -> int:
    if value is None:
        return default
    try:
        return max(0, int(value))
    except ValueError as exc:
        raise InvalidInputError(f"retention setting {value!r} is not a number of days") from exc
