"""What one tenant may use: stored records, bytes on disk, requests per minute.

Quotas are checked before a write, not inside it: a tenant at its limit can still read, search,
export and delete (deleting is how it gets back under), and every refusal is one line naming
the limit and how far over it is. ``memories`` counts every stored record (memories, the chunks
of notes and indexed files, session messages: each is a row a tenant made); ``bytes`` the
tenant's database files. Usage is read from the vault at most every ``USAGE_SECONDS`` per
tenant, so a burst of writes may overshoot a limit by what it wrote in that time.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from memvault.core.errors import QuotaExceededError

USAGE_SECONDS = 2.0
__all__ = ["USAGE_SECONDS", "Quota", "QuotaExceededError", "RequestRate", "Usage", "check_usage"]


@dataclass(frozen=True, slots=True)
class Quota:
    memories: int | None = None
    bytes: int | None = None
    requests_per_minute: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quota:
        return cls(
            memories=_limit(data.get("memories")),
            bytes=_limit(data.get("bytes")),
            requests_per_minute=_limit(data.get("requests_per_minute")),
        )

    def describe(self) -> str:
        parts = [
            f"{name.replace('_', ' ')} {value:,}"
            for name, value in asdict(self).items()
            if value is not None
        ]
        return ", ".join(parts) or "none"


@dataclass(frozen=True, slots=True)
class Usage:
    records: int
    bytes: int


def check_usage(tenant: str, quota: Quota, usage: Usage) -> None:
    """Refuse a write when the tenant is at or over a stored-data quota."""
    if quota.memories is not None and usage.records >= quota.memories:
        raise QuotaExceededError(
            f"tenant {tenant} holds {usage.records:,} records, its quota is "
            f"{quota.memories:,}: delete some, or raise it (memvault tenants quota)"
        )
    if quota.bytes is not None and usage.bytes >= quota.bytes:
        raise QuotaExceededError(
            f"tenant {tenant} uses {usage.bytes:,} bytes, its quota is {quota.bytes:,}: "
            "delete some, or raise it (memvault tenants quota)"
        )


class RequestRate:
    """Requests per minute per tenant, as a sliding window of the last minute's request times
    (at most ``limit`` kept per tenant, so memory is bounded by the quotas, not the load)."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, tenant: str, limit: int | None) -> float | None:
        """None if this request is within ``limit``; else the seconds until one would be."""
        if limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(tenant, deque())
            while seen and now - seen[0] >= 60.0:
                seen.popleft()
            if len(seen) >= limit:
                return max(0.0, 60.0 - (now - seen[0]))
            seen.append(now)
            return None

    def forget(self, tenant: str) -> None:
        with self._lock:
            self._seen.pop(tenant, None)


def _limit(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"a quota is a whole number of 0 or more, not {value!r}")
    return value
