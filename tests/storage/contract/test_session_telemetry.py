"""SessionStore, the measurements and the upkeep: costs and their totals, agent interactions,
routing decisions and metrics of a session, and retention (archiving idle sessions, pruning
summarised messages)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from memvault.core.errors import ConflictError, NotFoundError
from memvault.core.session_records import (
    AgentInteraction,
    CostEntry,
    CostGrouping,
    CostTotal,
    Metric,
    RoutingDecision,
    SessionRecord,
    SessionStatus,
)
from memvault.storage.roles import Store
from tests.storage.contract.helpers import embed_pending, insert
from tests.storage.contract.session_helpers import (
    MESSAGES,
    NAMESPACE,
    at,
    conversation,
    found,
    handoff,
    ids,
    message,
    say,
    session,
    start,
)


# --- costs ------------------------------------------------------------------------------------
def test_costs_are_summed_per_session_project_model_and_day(store: Store) -> None:
    a, b = session(project="shop"), session(project="shop")
    c = session(project=None)
    for each in (a, b, c):
        store.put_session(each)
    # Amounts exact in binary, so the sums are exact whatever the order of addition.
    store.log_costs(
        [
            CostEntry(a.id, "big", 1000, 200, 0.5, at(0, day=1)),
            CostEntry(a.id, "small", 100, 20, 0.125, at(839, day=1)),  # 23:59 UTC
            CostEntry(b.id, "big", 3000, 600, 1.5, at(0, day=2)),
            CostEntry(c.id, "small", 10, 2, 0.0625, at(5, day=2)),
        ]
    )
    store.log_costs([CostEntry(a.id, "big", 1, 1, 0.25, at(7, day=3))])
    assert store.cost_totals(CostGrouping.SESSION) == [
        CostTotal(b.id, 1, 3000, 600, 1.5),
        CostTotal(a.id, 3, 1101, 221, 0.875),
        CostTotal(c.id, 1, 10, 2, 0.0625),
    ]
    (shop, no_project) = store.cost_totals(CostGrouping.PROJECT)
    assert shop == CostTotal("shop", 4, 4101, 821, 2.375)
    assert (no_project.calls, no_project.usd) == (1, 0.0625)  # whatever key stands for "none"
    assert store.cost_totals(CostGrouping.MODEL) == [
        CostTotal("big", 3, 4001, 801, 2.25),
        CostTotal("small", 2, 110, 22, 0.1875),
    ]
    assert store.cost_totals(CostGrouping.DAY) == [
        CostTotal("2026-01-02", 2, 3010, 602, 1.5625),
        CostTotal("2026-01-01", 2, 1100, 220, 0.625),
        CostTotal("2026-01-03", 1, 1, 1, 0.25),
    ]


def pruned(store: Store, older_than: str, *, dry_run: bool) -> int:
    """How many messages a prune takes (or would take), over all sessions."""
    return sum(store.prune_summarised_messages(older_than, dry_run=dry_run).values())


def test_cost_filters_combine(store: Store) -> None:
    a, b = session(project="shop"), session(project="blog")
    for each in (a, b):
        store.put_session(each)
    store.log_costs(
        [
            CostEntry(a.id, "m1", 10, 1, 0.5, at(0)),
            CostEntry(a.id, "m2", 20, 2, 0.25, at(10)),
            CostEntry(b.id, "m1", 40, 4, 2.0, at(10)),
        ]
    )
    assert store.cost_totals(CostGrouping.MODEL, project="shop") == [
        CostTotal("m1", 1, 10, 1, 0.5),
        CostTotal("m2", 1, 20, 2, 0.25),
    ]
    assert store.cost_totals(CostGrouping.MODEL, session_id=b.id) == [
        CostTotal("m1", 1, 40, 4, 2.0)
    ]
    assert store.cost_totals(CostGrouping.SESSION, since=at(10)) == [  # from, inclusive
        CostTotal(b.id, 1, 40, 4, 2.0),
        CostTotal(a.id, 1, 20, 2, 0.25),
    ]
    assert store.cost_totals(CostGrouping.DAY, project="shop", since=at(5)) == [
        CostTotal("2026-01-01", 1, 20, 2, 0.25)
    ]
    assert store.cost_totals(CostGrouping.PROJECT, project="shop", session_id=b.id) == []
    assert store.cost_totals(CostGrouping.SESSION, since=at(11)) == []


def test_many_small_amounts_add_up(store: Store) -> None:
    opened, _ = start(store)
    store.log_costs([CostEntry(opened.id, "m", 3, 1, 0.001, at(n % 60)) for n in range(1000)])
    (total,) = store.cost_totals(CostGrouping.SESSION)
    assert (total.calls, total.input_tokens, total.output_tokens) == (1000, 3000, 1000)
    assert total.usd == pytest.approx(1.0, rel=1e-12)


def test_costs_of_an_unknown_session_are_refused_with_their_batch(store: Store) -> None:
    opened, _ = start(store)
    with pytest.raises(NotFoundError):
        store.log_costs(
            [CostEntry(opened.id, "m", 1, 1, 0.5, at(1)), CostEntry("nope", "m", 1, 1, 0.5, at(1))]
        )
    assert store.cost_totals(CostGrouping.SESSION) == []
    store.log_costs([])
    assert store.cost_totals(CostGrouping.MODEL) == []


# --- telemetry --------------------------------------------------------------------------------
def test_telemetry_reads_back_per_session_in_time_order(store: Store) -> None:
    mine, other = session(), session()
    for each in (mine, other):
        store.put_session(each)
    late = AgentInteraction("i-late", mine.id, "reviewer", "review", at(20), at(25), "ok", 300)
    early = AgentInteraction("i-early", mine.id, "coder", "write", at(5))
    routed_late = RoutingDecision("r-2", mine.id, "router", "reviewer", "diff ready", 0.9, at(19))
    routed_early = RoutingDecision("r-1", mine.id, "router", "coder", None, None, at(4))
    m_late = Metric("latency_ms", 120.5, {"tool": "grep"}, at(21), mine.id)
    m_early = Metric("latency_ms", 80.0, {}, at(6), mine.id)
    store.log_telemetry(
        interactions=[late, early], routing=[routed_late, routed_early], metrics=[m_late]
    )
    store.log_telemetry(metrics=[m_early, Metric("uptime", 1.0, {}, at(1))])  # one of no session
    store.log_telemetry(
        interactions=[AgentInteraction("i-x", other.id, "coder", "other work", at(1))],
        metrics=[Metric("latency_ms", 1.0, {}, at(1), other.id)],
    )
    assert store.session_telemetry(mine.id) == (
        [early, late],
        [routed_early, routed_late],
        [m_early, m_late],
    )
    interactions, routing, metrics = store.session_telemetry(other.id)
    assert [i.id for i in interactions] == ["i-x"] and routing == [] and len(metrics) == 1
    store.log_telemetry()  # nothing to log is fine


def test_an_interaction_is_updated_by_id(store: Store) -> None:
    opened, _ = start(store)
    begun = AgentInteraction("i-1", opened.id, "coder", "fix the bug", at(1))
    store.log_telemetry(interactions=[begun])
    assert store.session_telemetry(opened.id)[0] == [begun]
    finished = replace(begun, ended_at=at(9), outcome="fixed", tokens=1234)
    store.log_telemetry(interactions=[finished])
    assert store.session_telemetry(opened.id)[0] == [finished]


def test_telemetry_of_an_unknown_session_is_refused_with_its_batch(store: Store) -> None:
    opened, _ = start(store)
    with pytest.raises(NotFoundError):
        store.log_telemetry(
            interactions=[AgentInteraction("i-1", opened.id, "coder", "task", at(1))],
            metrics=[Metric("m", 1.0, {}, at(1), "nope")],
        )
    with pytest.raises(NotFoundError):
        store.log_telemetry(
            routing=[RoutingDecision("r", "nope", "router", "x", None, None, at(1))]
        )
    assert store.session_telemetry(opened.id) == ([], [], [])
    with pytest.raises(NotFoundError):
        store.session_telemetry("nope")


# --- retention --------------------------------------------------------------------------------
def test_archiving_idle_sessions_dry_run_names_the_same_and_changes_nothing(
    store: Store,
) -> None:
    idle = {
        status: session(status=status, last_active_at=at(minute))
        for minute, status in enumerate(
            [SessionStatus.PAUSED, SessionStatus.ACTIVE, SessionStatus.ENDED], start=1
        )
    }
    archived = session(status=SessionStatus.ARCHIVED, last_active_at=at(0))
    boundary = session(last_active_at=at(10))  # active exactly at the cut: not idle before it
    recent = session(last_active_at=at(30))
    everyone = [*idle.values(), archived, boundary, recent]
    for each in everyone:
        store.put_session(each)
    talk = conversation(idle[SessionStatus.ACTIVE])
    store.put_conversation(talk)

    planned = store.archive_idle_sessions(at(10), dry_run=True)
    assert sorted(planned) == sorted(s.id for s in idle.values())
    assert [store.get_session(s.id) for s in everyone] == everyone
    assert store.archive_idle_sessions(at(10), dry_run=False) == planned
    for each in everyone:
        now = store.get_session(each.id)
        assert now is not None
        expected = SessionStatus.ARCHIVED if each.id in planned else each.status
        assert now.status is expected
        assert (now.last_active_at, now.title) == (each.last_active_at, each.title)
    assert store.archive_idle_sessions(at(10), dry_run=True) == []
    assert store.archive_idle_sessions(at(10), dry_run=False) == []
    with pytest.raises(ConflictError):
        store.log_messages(
            talk.session_id,
            [message(talk, "hello?", created_at=at(40))],
            namespace="x",
            embed=False,
        )


def test_pruning_deletes_only_old_summarised_messages(store: Store) -> None:
    opened, talk = start(store)
    old_done = say(store, talk, "old and summarised", "old summarised too", summarised=True)
    (old_open,) = say(store, talk, "old but not summarised", first_minute=3)
    (new_done,) = say(store, talk, "new and summarised", first_minute=20, summarised=True)
    (own,) = insert(store, "old and summarised memory", created_at=at(0))

    assert pruned(store, at(20), dry_run=True) == 2
    assert len(store.messages(opened.id)) == 4  # a dry run deletes nothing
    assert pruned(store, at(20), dry_run=False) == 2
    assert store.messages(opened.id) == [old_open, new_done]
    assert store.memories_by_id(ids(old_done)) == {}
    assert found(store, "summarised") == {old_open.id, new_done.id}
    assert store.get_memory(own) is not None  # memories of their own are no messages
    assert pruned(store, at(20), dry_run=True) == 0
    assert pruned(store, "9999-12-31T00:00:00.000000Z", dry_run=False) == 1
    assert store.messages(opened.id) == [old_open]


def test_pruning_never_takes_an_unsummarised_message(store: Store) -> None:
    rng = random.Random(11)
    opened, talk = start(store)
    side = conversation(opened, started_at=at(1))
    store.put_conversation(side)
    said = [
        message(
            rng.choice([talk, side]),
            f"message {n}",
            created_at=at(rng.randrange(0, 300)),
            summarised=rng.random() < 0.5,
        )
        for n in range(60)
    ]
    store.log_messages(opened.id, said, namespace=NAMESPACE, embed=True)
    unsummarised = {m.id for m in said if not m.summarised}
    for cut in sorted(rng.sample(range(0, 320), 6)):
        before = {m.id for m in store.messages(opened.id)}
        planned = pruned(store, at(cut), dry_run=True)
        assert {m.id for m in store.messages(opened.id)} == before
        assert pruned(store, at(cut), dry_run=False) == planned
        left = {m.id for m in store.messages(opened.id)}
        assert len(before - left) == planned and unsummarised <= left
        assert all(m.id in unsummarised or m.created_at >= at(cut) for m in said if m.id in left)
    pruned(store, "9999-12-31T00:00:00.000000Z", dry_run=False)
    assert {m.id for m in store.messages(opened.id)} == unsummarised
    assert {m.id for m in store.list_memories(MESSAGES, limit=100)} == unsummarised


# --- the store as a whole ---------------------------------------------------------------------
def test_stats_count_sessions_and_messages(store: Store) -> None:
    empty = store.stats()
    assert (empty.sessions, empty.messages) == (0, 0)
    insert(store, "a memory of its own")
    _, talk = start(store)
    say(store, talk, "one", "two")
    _, other = start(store)
    say(store, other, "three")
    stats = store.stats()
    assert (stats.sessions, stats.messages) == (2, 3)
    assert stats.memories == 1  # memories of their own: messages are counted apart
    assert stats.by_kind == {"fact": 1}


def test_check_is_ok_after_all_of_the_session_work(store: Store) -> None:
    insert(store, "a memory of its own", embed=True)
    kept, talk = start(store)
    gone, gone_talk = start(store)
    idle, idle_talk = start(store, last_active_at=at(0))
    said = say(store, talk, "alpha", "beta", "gamma", embed=True)
    say(store, gone_talk, "to be deleted", embed=True)
    say(store, idle_talk, "idle words", first_minute=0, embed=True, summarised=True)
    embed_pending(store)
    store.put_handoff(handoff(kept, "progress", created_at=at(20)))
    store.log_costs([CostEntry(s.id, "m", 1, 1, 0.5, at(20)) for s in (kept, gone, idle)])
    store.log_telemetry(
        interactions=[AgentInteraction("i", gone.id, "a", "t", at(2))],
        routing=[RoutingDecision("r", gone.id, "router", "a", None, 0.5, at(2))],
        metrics=[Metric("m", 1.0, {}, at(2), gone.id)],
    )
    record = store.session_record(kept.id)
    assert record is not None
    store.put_session_record(
        SessionRecord(
            record.session,
            record.conversations,
            (replace(said[0], content="alpha changed"), said[2]),
            (),
        ),
        namespace=NAMESPACE,
        embed=True,
    )
    store.mark_summarised(kept.id, None)
    assert pruned(store, at(2), dry_run=False) == 2  # idle's and kept's alpha
    assert store.archive_idle_sessions(at(1), dry_run=False) == [idle.id]
    assert store.delete_session(gone.id)
    embed_pending(store)
    report = store.check()
    assert report.ok, report.to_dict()
