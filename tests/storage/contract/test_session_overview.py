"""SessionStore's overview reads: costs per day and model over a range, the message counts of a
page of sessions, and the projects that have sessions."""

from __future__ import annotations

from memvault.core.session_records import (
    CostEntry,
    DailyCost,
    ProjectSessions,
    SessionCounts,
)
from memvault.storage.roles import Store
from tests.storage.contract.session_helpers import at, conversation, say, session, start


def test_daily_costs_are_summed_per_day_and_model_in_a_range(store: Store) -> None:
    a, b = session(project="shop"), session(project="blog")
    for each in (a, b):
        store.put_session(each)
    # Amounts exact in binary, so the sums are exact whatever the order of addition.
    store.log_costs(
        [
            CostEntry(a.id, "big", 1000, 200, 0.5, at(0, day=1)),
            CostEntry(a.id, "big", 10, 2, 0.25, at(839, day=1)),  # 23:59 UTC: still day 1
            CostEntry(a.id, "small", 100, 20, 0.125, at(3, day=1)),
            CostEntry(b.id, "big", 3000, 600, 1.5, at(0, day=2)),
            CostEntry(a.id, "small", 7, 1, 0.0625, at(0, day=3)),
        ]
    )
    assert store.daily_costs() == [
        DailyCost("2026-01-01", "big", 2, 1010, 202, 0.75),
        DailyCost("2026-01-01", "small", 1, 100, 20, 0.125),
        DailyCost("2026-01-02", "big", 1, 3000, 600, 1.5),
        DailyCost("2026-01-03", "small", 1, 7, 1, 0.0625),
    ]
    assert store.daily_costs(project="shop", since=at(1, day=1), until=at(0, day=3)) == [
        DailyCost("2026-01-01", "big", 1, 10, 2, 0.25),  # since: inclusive of 10:01 on
        DailyCost("2026-01-01", "small", 1, 100, 20, 0.125),
    ]  # until is exclusive: day 3's 10:00 cost is out
    assert store.daily_costs(session_id=b.id) == [DailyCost("2026-01-02", "big", 1, 3000, 600, 1.5)]
    assert store.daily_costs(project="nobody") == []


def test_session_counts_add_up_messages_of_every_conversation(store: Store) -> None:
    busy, first = start(store)
    second = conversation(busy)
    store.put_conversation(second)
    say(store, first, "one two three", "four")
    say(store, second, "five six", first_minute=10)
    quiet, _ = start(store)
    counts = store.session_counts([busy.id, quiet.id, "no-such-session"])
    assert counts == {busy.id: SessionCounts(3, 6), quiet.id: SessionCounts(0, 0)}
    assert store.session_counts([]) == {}


def test_session_projects_name_each_project_once_latest_first(store: Store) -> None:
    for project, minute in (("shop", 5), ("blog", 9), ("shop", 20), (None, 1), (None, 2)):
        store.put_session(session(project=project, started_at=at(minute)))
    assert store.session_projects() == [
        ProjectSessions("shop", 2, at(20)),
        ProjectSessions("blog", 1, at(9)),
        ProjectSessions(None, 2, at(2)),
    ]
