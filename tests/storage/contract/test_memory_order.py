"""MemoryStore.list_memories in each order: the most first, ties by id (newest first), pages
that never overlap, and filters that still apply."""

from __future__ import annotations

import pytest

from memvault.core.records import ListOrder, MemoryFilter
from memvault.storage.roles import Store
from tests.storage.contract.helpers import EVERYTHING, memory

T0 = "2026-01-01T00:00:00.000000Z"
T1 = "2026-02-01T00:00:00.000000Z"
T2 = "2026-03-01T00:00:00.000000Z"


def five(store: Store) -> None:
    """m1..m5 stored in the order m4, m1, m3, m2, m5 (so storing order is not id order):
    m2 and m3 tie on importance and confidence; m2 and m3 tie on access count too."""
    fields = {
        "m1": (0.9, 0.2),
        "m2": (0.5, 0.8),
        "m3": (0.5, 0.8),
        "m4": (0.1, 0.5),
        "m5": (0.3, 0.9),
    }
    order = ["m4", "m1", "m3", "m2", "m5"]
    store.insert_memories(
        [
            memory(f"memory {name}", memory_id=name, importance=fields[name][0],
                   confidence=fields[name][1])
            for name in order
        ]
    )  # fmt: skip
    for at in (T0, T1, T2):
        store.get_memory("m1", touch_at=at)  # three accesses
    store.get_memory("m2", touch_at=T2)  # one access, the later one
    store.get_memory("m3", touch_at=T1)  # one access, earlier


EXPECTED = {
    ListOrder.RECENT: ["m5", "m2", "m3", "m1", "m4"],  # the reverse of storing
    ListOrder.IMPORTANCE: ["m1", "m3", "m2", "m5", "m4"],  # m3 before m2: the larger id
    ListOrder.CONFIDENCE: ["m5", "m3", "m2", "m4", "m1"],
    ListOrder.ACCESS: ["m1", "m2", "m3", "m5", "m4"],  # m2 before m3: accessed later
}


@pytest.mark.parametrize("order", list(ListOrder))
def test_each_order_puts_the_most_first_and_breaks_ties_by_id(
    store: Store, order: ListOrder
) -> None:
    five(store)
    listed = [m.id for m in store.list_memories(EVERYTHING, limit=10, order=order)]
    assert listed == EXPECTED[order]
    pages = [store.list_memories(EVERYTHING, limit=2, offset=o, order=order) for o in (0, 2, 4)]
    assert [m.id for page in pages for m in page] == EXPECTED[order]


def test_the_default_order_is_recent(store: Store) -> None:
    five(store)
    assert [m.id for m in store.list_memories(EVERYTHING, limit=10)] == EXPECTED[ListOrder.RECENT]


def test_an_order_keeps_the_filter(store: Store) -> None:
    five(store)
    store.insert_memories([memory("elsewhere", memory_id="m9", namespace="other", importance=1.0)])
    store.supersede("m1", "m5", T2)
    by_importance = store.list_memories(
        MemoryFilter(namespace="default"), limit=10, order=ListOrder.IMPORTANCE
    )
    assert [m.id for m in by_importance] == ["m3", "m2", "m5", "m4"]  # m1 superseded, m9 apart
    by_access = store.list_memories(
        MemoryFilter(include_superseded=True, namespace="default"), limit=1, order=ListOrder.ACCESS
    )
    assert [(m.id, m.access_count) for m in by_access] == [("m1", 3)]
