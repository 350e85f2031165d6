"""Identifiers, content hashes and timestamps.

Ids are UUIDv7 strings: they sort by creation time, so the newest memories cluster at the end of
every index and ``ORDER BY id`` is also chronological. Timestamps are ISO-8601 UTC strings with
microseconds and a ``Z``; they compare correctly as text in any engine and read well in Markdown.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, datetime

import uuid_utils


def new_id() -> str:
    """A fresh UUIDv7 as a lowercase string."""
    return str(uuid_utils.uuid7())


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
        from memvault.errors import InvalidInputError

        raise InvalidInputError(
            f"not a date or time: {text!r} (use ISO 8601, e.g. 2026-01-31 or 2026-01-31T12:00Z)"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def content_hash(content: str) -> str:
    """Hash used for dedup: the same text, up to Unicode form and outer whitespace, is the same."""
    normal = unicodedata.normalize("NFC", content).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()
