"""The overview reads of the session layer through the public API: costs per day and model
(with the time a cost was spent), message counts of a page of sessions, projects, and the
bad input they refuse."""

from __future__ import annotations

import pytest

from memvault.core.errors import InvalidInputError, NotFoundError
from memvault.core.session_records import DailyCost, ProjectSessions, SessionCounts
from memvault.service.sessions import CostDraft
from memvault.service.vault import Vault


def test_costs_logged_with_their_time_are_summed_per_day_and_model(vault: Vault) -> None:
    shop = vault.sessions.start(project="shop")
    blog = vault.sessions.start(project="blog")
    vault.sessions.log(
        shop.id,
        costs=[
            CostDraft("big", 100, 10, 0.5, created_at="2026-03-01T09:00:00+02:00"),  # 07:00 UTC
            CostDraft("small", 10, 1, 0.25, created_at="2026-03-01"),
            CostDraft("big", 1, 1, 0.125, created_at="2026-03-02T23:59:59Z"),
        ],
    )
    vault.sessions.log(blog.id, costs=[CostDraft("big", 5, 5, 1.0, created_at="2026-03-02")])
    assert vault.sessions.daily_costs(project="shop") == [
        DailyCost("2026-03-01", "big", 1, 100, 10, 0.5),
        DailyCost("2026-03-01", "small", 1, 10, 1, 0.25),
        DailyCost("2026-03-02", "big", 1, 1, 1, 0.125),
    ]
    assert vault.sessions.daily_costs(since="2026-03-02", until="2026-03-03") == [
        DailyCost("2026-03-02", "big", 2, 6, 6, 1.125)
    ]
    with pytest.raises(InvalidInputError, match="ends"):
        vault.sessions.daily_costs(since="2026-03-02", until="2026-03-01")
    with pytest.raises(InvalidInputError, match="not a date"):
        vault.sessions.log(shop.id, costs=[CostDraft("big", created_at="yesterday")])


def test_counts_and_projects_sum_sessions_up(vault: Vault) -> None:
    talk = vault.sessions.start(project="shop")
    vault.sessions.log(talk.id, ["one", "two"])
    none = vault.sessions.start()
    counts = vault.sessions.counts([talk.id, none.id])
    assert counts[talk.id].messages == 2 and counts[talk.id].tokens > 0
    assert counts[none.id] == SessionCounts(0, 0)
    assert [p.project for p in vault.sessions.projects()] == [None, "shop"]
    assert vault.sessions.projects()[1] == ProjectSessions(
        "shop", 1, vault.sessions.get(talk.id).last_active_at
    )
    assert [c.session_id for c in vault.sessions.conversations(talk.id)] == [talk.id]
    with pytest.raises(NotFoundError):
        vault.sessions.conversations("0190aaaa-0000-7000-8000-000000000000")
