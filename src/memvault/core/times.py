"""Timestamps: ISO-8601 UTC strings with microseconds and a ``Z``.

They compare correctly as text in any engine and read well in Markdown. Every time a caller,
a file or a source brings in goes through :func:`normal_timestamp`, so one rule decides what a
time looks like wherever it came from.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    return format_timestamp(datetime.now(UTC))


def format_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def file_time(mtime_ns: int) -> str:
    """A file's modification time (``st_mtime_ns``) as a timestamp."""
    return format_timestamp(datetime.fromtimestamp(mtime_ns / 1e9, UTC))


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO date or datetime; a value without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        from memvault.core.errors import InvalidInputError

        raise InvalidInputError(
            f"not a date or time: {text!r} (use ISO 8601, e.g. 2026-01-31 or 2026-01-31T12:00Z)"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def normal_timestamp(text: str) -> str:
    """Any ISO date or datetime a caller gives, in memvault's one form."""
    return format_timestamp(parse_timestamp(text))
