"""Which backups to keep: the last N, plus the newest of each of the last D days, W ISO weeks
and M months (the grandfather-father-son rule restic and borg use, so it reads the same).

A period with no backup is not counted: with ``--keep-daily 7`` after a week off, the seven
kept are the last seven days that have a backup. Pure: names and times in, names out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from memvault.core.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class Retention:
    last: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0

    def __post_init__(self) -> None:
        for name in ("last", "daily", "weekly", "monthly"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
                raise InvalidInputError(f"keep-{name} must be a whole number from 0 to 10,000")

    @property
    def prunes(self) -> bool:
        """Whether any rule is set: with none, nothing is ever pruned."""
        return any((self.last, self.daily, self.weekly, self.monthly))


def _day(at: datetime) -> tuple[int, ...]:
    return (at.year, at.month, at.day)


def _week(at: datetime) -> tuple[int, ...]:
    year, week, _ = at.isocalendar()
    return (year, week)


def _month(at: datetime) -> tuple[int, ...]:
    return (at.year, at.month)


def kept(backups: Iterable[tuple[str, datetime]], rule: Retention) -> set[str]:
    """The names of the backups ``rule`` keeps (all of them when it sets nothing)."""
    newest_first = sorted(backups, key=lambda item: item[1], reverse=True)
    if not rule.prunes:
        return {name for name, _ in newest_first}
    keep = {name for name, _ in newest_first[: rule.last]}
    periods: list[tuple[int, Callable[[datetime], tuple[int, ...]]]] = [
        (rule.daily, _day),
        (rule.weekly, _week),
        (rule.monthly, _month),
    ]
    for count, period in periods:
        seen: set[tuple[int, ...]] = set()
        for name, at in newest_first:
            if len(seen) >= count:
                break
            key = period(at)
            if key not in seen:
                seen.add(key)
                keep.add(name)
    return keep
