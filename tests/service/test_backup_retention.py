"""The retention rule on synthetic dates: which backups ``--keep-*`` keeps, which it prunes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memvault.core.errors import InvalidInputError
from memvault.service.backup_retention import Retention, kept

START = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)  # a Thursday


def daily_for(days: int) -> list[tuple[str, datetime]]:
    """Two backups a day (03:00 and 15:00) for ``days`` days."""
    out = []
    for day in range(days):
        for hour in (0, 12):
            at = START + timedelta(days=day, hours=hour)
            out.append((at.strftime("%Y%m%dT%H%M"), at))
    return out


def test_daily_weekly_monthly_keep_the_newest_of_each_period() -> None:
    backups = daily_for(120)  # 2026-01-01 .. 2026-04-30
    keep = kept(backups, Retention(last=3, daily=7, weekly=4, monthly=6))
    names = sorted(keep)
    newest = [name for name, _ in backups[-3:]]
    assert set(newest) <= keep  # the last 3
    days = {name[:8] for name in names}
    # the last 7 days (Apr 24..30) through their newest (15:00) backup
    assert {f"202604{d:02d}" for d in range(24, 31)} <= days
    assert all(f"202604{d:02d}T1500" in keep for d in range(24, 31))
    # 4 ISO weeks: the Sundays ending the three weeks before the current one, 15:00
    assert {"20260426T1500", "20260419T1500", "20260412T1500"} <= keep
    # 6 months back, but only 4 months have backups: the newest of each month
    assert {"20260131T1500", "20260228T1500", "20260331T1500"} <= keep
    assert len(keep) == 13  # 7 days (incl. the 3 last) + 3 weeks + 3 months; the rest pruned
    pruned = {name for name, _ in backups} - keep
    assert len(pruned) == 240 - 13


def test_no_rule_keeps_everything_and_bad_counts_are_refused() -> None:
    backups = daily_for(10)
    assert kept(backups, Retention()) == {name for name, _ in backups}
    assert kept(backups, Retention(last=1)) == {backups[-1][0]}
    with pytest.raises(InvalidInputError, match="keep-daily"):
        Retention(daily=-1)


def test_a_gap_is_not_counted_as_a_period() -> None:
    before = daily_for(3)
    after_gap = [(f"late{i}", at + timedelta(days=30)) for i, (_, at) in enumerate(before)]
    keep = kept(before + after_gap, Retention(daily=5))
    assert keep == {"late1", "late3", "late5", before[3][0], before[5][0]}
