"""GraphStore: typed edges, walks around a memory, validation events that move confidence."""

from __future__ import annotations

import threading

import pytest

from memvault.core.confidence import next_confidence
from memvault.core.errors import NotFoundError
from memvault.core.records import Edge, Verdict
from memvault.storage.roles import Store
from tests.storage.contract.helpers import insert

T0 = "2026-01-01T00:00:00.000000Z"
T1 = "2026-02-01T00:00:00.000000Z"
T2 = "2026-03-01T00:00:00.000000Z"


def edge(source: str, target: str, relation: str = "relates_to", **fields: object) -> Edge:
    values: dict[str, object] = {"weight": 1.0, "metadata": {}, "created_at": T0, **fields}
    return Edge(source, target, relation, **values)  # type: ignore[arg-type]


# --- edges ------------------------------------------------------------------------------------
def test_upsert_edge_adds_then_updates_weight_and_metadata(store: Store) -> None:
    a, b = insert(store, "a", "b")
    first = store.upsert_edge(edge(a, b, weight=0.5, metadata={"why": "first"}))
    assert first == edge(a, b, weight=0.5, metadata={"why": "first"})
    second = store.upsert_edge(edge(a, b, weight=0.9, metadata={"why": "again"}, created_at=T1))
    assert (second.weight, second.metadata) == (0.9, {"why": "again"})
    assert second.created_at == T0  # the same edge, changed: not a new one
    assert store.memory_records([a])[a].relations == (second,)
    assert store.stats().edges == 1
    other = store.upsert_edge(edge(a, b, "contradicts"))  # another relation: another edge
    assert store.stats().edges == 2
    assert set(e.relation for e in store.memory_records([a])[a].relations) == {
        "relates_to",
        other.relation,
    }


def test_an_edge_needs_both_ends(store: Store) -> None:
    (a,) = insert(store, "a")
    with pytest.raises(NotFoundError):
        store.upsert_edge(edge(a, "missing"))
    with pytest.raises(NotFoundError):
        store.upsert_edge(edge("missing", a))
    assert store.stats().edges == 0


def test_edge_sources_are_the_memories_pointing_here(store: Store) -> None:
    a, b, c = insert(store, "a", "b", "c")
    store.upsert_edge(edge(a, c))
    store.upsert_edge(edge(a, c, "derived_from"))  # a second edge from a: a is listed once
    store.upsert_edge(edge(b, c))
    store.upsert_edge(edge(c, a))
    assert sorted(store.edge_sources(c)) == sorted([a, b])
    assert store.edge_sources(b) == []
    assert store.edge_sources("missing") == []


# --- walks ------------------------------------------------------------------------------------
def test_neighbours_walk_both_directions_nearest_first(store: Store) -> None:
    # a -> b -> c -> d, and e -> a: from a, b and e are one step away, c two, d three.
    a, b, c, d, e = insert(store, "a", "b", "c", "d", "e")
    to_b = store.upsert_edge(edge(a, b))
    to_c = store.upsert_edge(edge(b, c, "derived_from"))
    store.upsert_edge(edge(c, d))
    from_e = store.upsert_edge(edge(e, a, "contradicts"))

    one = store.neighbours(a, depth=1)
    assert sorted((n.memory.id, n.edge, n.depth) for n in one) == sorted(
        [(b, to_b, 1), (e, from_e, 1)]
    )
    assert {n.memory.id: n.memory for n in one} == store.memories_by_id([b, e])
    two = store.neighbours(a, depth=2)
    assert [n.depth for n in two] == [1, 1, 2]
    assert (two[2].memory.id, two[2].edge) == (c, to_c)
    assert [n.memory.id for n in store.neighbours(a, depth=3)][-1] == d
    assert [n.memory.id for n in store.neighbours(d, depth=1)] == [c]  # incoming edges count


def test_neighbours_follow_only_the_relation_asked_for(store: Store) -> None:
    a, b, c, d = insert(store, "a", "b", "c", "d")
    store.upsert_edge(edge(a, b, "derived_from"))
    store.upsert_edge(edge(b, c, "relates_to"))
    store.upsert_edge(edge(d, a, "derived_from"))
    found = store.neighbours(a, depth=3, relation="derived_from")
    assert sorted(n.memory.id for n in found) == sorted([b, d])
    assert {n.edge.relation for n in found} == {"derived_from"}
    assert store.neighbours(a, depth=3, relation="nothing") == []


def test_a_cycle_lists_each_memory_once_at_its_nearest_depth(store: Store) -> None:
    a, b, c = insert(store, "a", "b", "c")
    store.upsert_edge(edge(a, b))
    store.upsert_edge(edge(b, c))
    store.upsert_edge(edge(c, a))
    found = store.neighbours(a, depth=5)
    assert sorted((n.memory.id, n.depth) for n in found) == sorted([(b, 1), (c, 1)])


def test_neighbours_of_a_missing_memory_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.neighbours("missing", depth=1)
    (alone,) = insert(store, "alone")
    assert store.neighbours(alone, depth=3) == []


# --- validation -------------------------------------------------------------------------------
def test_a_validation_applies_the_rule_and_logs_the_event(store: Store) -> None:
    (memory_id,) = insert(store, "validated", confidence=0.5)
    event = store.record_validation(
        memory_id,
        Verdict.CONFIRM,
        rule=next_confidence,
        actor="reviewer",
        note="checked the docs",
        event_id="event-1",
        at=T1,
    )
    assert (event.id, event.memory_id, event.verdict, event.actor, event.note) == (
        "event-1",
        memory_id,
        Verdict.CONFIRM,
        "reviewer",
        "checked the docs",
    )
    assert (event.confidence_before, event.created_at) == (0.5, T1)
    assert event.confidence_after == pytest.approx(0.65)
    after = store.get_memory(memory_id)
    assert after is not None
    assert (after.confidence, after.updated_at) == (event.confidence_after, T1)
    refuted = store.record_validation(
        memory_id, Verdict.REFUTE, rule=next_confidence, actor=None, note=None, event_id="e2", at=T2
    )
    assert refuted.confidence_before == event.confidence_after
    assert refuted.confidence_after == pytest.approx(0.325)
    assert store.validation_history(memory_id) == [event, refuted]


def test_confidence_is_clamped_to_the_unit_interval(store: Store) -> None:
    (memory_id,) = insert(store, "clamped")
    up = store.record_validation(
        memory_id, Verdict.CONFIRM, rule=lambda c, v: c + 5, actor=None, note=None,
        event_id="up", at=T1,
    )  # fmt: skip
    assert up.confidence_after == 1.0
    down = store.record_validation(
        memory_id, Verdict.REFUTE, rule=lambda c, v: c - 5, actor=None, note=None,
        event_id="down", at=T2,
    )  # fmt: skip
    assert (down.confidence_before, down.confidence_after) == (1.0, 0.0)
    current = store.get_memory(memory_id)
    assert current is not None and current.confidence == 0.0


def test_a_rule_that_fails_changes_nothing(store: Store) -> None:
    (memory_id,) = insert(store, "unchanged", confidence=0.4)

    def broken(confidence: float, verdict: Verdict) -> float:
        raise ZeroDivisionError("rule bug")

    with pytest.raises(ZeroDivisionError):
        store.record_validation(
            memory_id, Verdict.USE, rule=broken, actor=None, note=None, event_id="x", at=T1
        )
    current = store.get_memory(memory_id)
    assert current is not None and current.confidence == 0.4
    assert store.validation_history(memory_id) == []


def test_validating_a_missing_memory_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.record_validation(
            "missing", Verdict.USE, rule=next_confidence, actor=None, note=None, event_id="x", at=T1
        )
    assert store.stats().validation_events == 0


def test_concurrent_validations_lose_no_update(store: Store) -> None:
    # Each event reads the confidence and writes the next in one unit: 40 uses from 8 threads
    # must chain exactly, as if they ran one after another.
    (memory_id,) = insert(store, "popular", confidence=0.0)
    errors: list[BaseException] = []

    def validate(worker: int) -> None:
        try:
            for n in range(5):
                store.record_validation(
                    memory_id,
                    Verdict.USE,
                    rule=lambda c, v: c + 0.01,
                    actor=f"w{worker}",
                    note=None,
                    event_id=f"w{worker}-{n}",
                    at=T1,
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=validate, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    current = store.get_memory(memory_id)
    assert current is not None and current.confidence == pytest.approx(0.40)
    history = store.validation_history(memory_id)
    assert len(history) == 40
    befores = sorted(round(e.confidence_before, 6) for e in history)
    assert befores == [round(n * 0.01, 6) for n in range(40)]


def test_history_is_oldest_first_and_empty_for_strangers(store: Store) -> None:
    (memory_id,) = insert(store, "history")
    for event_id, at in [("late", T2), ("early", T0), ("middle", T1)]:
        store.record_validation(
            memory_id, Verdict.USE, rule=next_confidence, actor=None, note=None,
            event_id=event_id, at=at,
        )  # fmt: skip
    assert [e.id for e in store.validation_history(memory_id)] == ["early", "middle", "late"]
    assert store.validation_history("missing") == []
