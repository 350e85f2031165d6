"""Operations and Settings: the store as a whole (stats, check, its files, close, concurrent
writers) and its small named values."""

from __future__ import annotations

import threading

import pytest

from memvault.core.errors import ConflictError, StorageError
from memvault.core.records import Edge, MemoryPatch, Verdict
from memvault.storage.roles import Store
from tests.storage.contract.conftest import EngineFactory
from tests.storage.contract.helpers import EVERYTHING, embed_pending, insert, memory

T0 = "2026-01-01T00:00:00.000000Z"


# --- settings ---------------------------------------------------------------------------------
def test_settings_are_kept_overwritten_and_shared(store: Store, second_store: Store) -> None:
    assert store.get_setting("embedder") is None
    store.set_setting("embedder", "hash:384")
    store.set_setting("vault", "off")
    assert store.get_setting("embedder") == "hash:384"
    store.set_setting("embedder", "bundled")
    assert second_store.get_setting("embedder") == "bundled"
    assert second_store.get_setting("vault") == "off"


def test_swap_setting_changes_only_what_it_expects(store: Store) -> None:
    assert store.swap_setting("claim", None, "a") is True
    assert store.swap_setting("claim", None, "b") is False  # it is "a" now
    assert store.swap_setting("claim", "a", "b") is True
    assert store.get_setting("claim") == "b"
    assert store.swap_setting("claim", "b", None) is True
    assert store.get_setting("claim") is None


def test_of_racing_instances_exactly_one_swap_wins(engine: EngineFactory) -> None:
    stores = [engine.open() for _ in range(4)]
    wins: list[bool] = []
    try:
        start = threading.Barrier(len(stores))

        def claim(store: Store) -> None:
            start.wait()
            wins.append(store.swap_setting("backup.period", None, "daily:2026-03-01"))

        threads = [threading.Thread(target=claim, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for store in stores:
            store.close()
    assert sorted(wins) == [False, False, False, True]


def test_settings_survive_a_reopen(engine: EngineFactory) -> None:
    first = engine.open()
    try:
        first.set_setting("vector_storage", "int8")
    finally:
        first.close()
    again = engine.open()
    try:
        assert again.get_setting("vector_storage") == "int8"
    finally:
        again.close()


# --- stats and check --------------------------------------------------------------------------
def test_stats_count_what_is_there(store: Store) -> None:
    empty = store.stats()
    assert (empty.memories, empty.current, empty.edges, empty.tags) == (0, 0, 0, 0)
    a = insert(store, "a", kind="lesson", tags=["t1", "t2"])[0]
    b = insert(store, "b", namespace="ns", tags=["t2"])[0]
    store.upsert_edge(Edge(a, b, "relates_to", 1.0, {}, T0))
    store.supersede(a, b, T0)
    store.record_validation(
        b, Verdict.USE, rule=lambda c, v: c, actor=None, note=None, event_id="e", at=T0
    )
    stats = store.stats()
    assert (stats.memories, stats.current, stats.superseded) == (2, 1, 1)
    assert stats.by_kind == {"fact": 1, "lesson": 1}
    assert stats.by_namespace == {"default": 1, "ns": 1}
    assert (stats.tags, stats.edges, stats.validation_events) == (2, 2, 1)
    assert stats.db_bytes > 0 and stats.schema_version >= 1


def test_check_is_ok_on_a_healthy_store(store: Store) -> None:
    assert store.check().ok  # empty
    ids = insert(store, "healthy", "also healthy", embed=True)
    store.upsert_edge(Edge(ids[0], ids[1], "relates_to", 1.0, {}, T0))
    embed_pending(store)
    store.update_memory(ids[0], MemoryPatch(content="changed"), T0, embed=True)
    store.delete_memory(ids[1])
    report = store.check()
    assert report.ok, report.to_dict()
    assert report.checks and all(check.name for check in report.checks)


def test_memories_left_without_vector_or_job_are_not_damage(store: Store) -> None:
    insert(store, "embedded", embed=True)
    embed_pending(store)
    insert(store, "written while vectors were off")
    assert store.check().ok


# --- concurrent writers -----------------------------------------------------------------------
def test_many_threads_writing_at_once_all_land(store: Store) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(100):
                store.insert_memories([memory(f"thread {worker} memory {i}")], embed=True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.stats().memories == 800 and store.job_counts().queued == 800
    assert store.check().ok


def test_a_failing_write_does_not_undo_writes_beside_it(store: Store) -> None:
    (taken,) = insert(store, "taken")
    victims = insert(store, *(f"victim {n}" for n in range(10)))
    results: dict[int, object] = {}

    def work(n: int) -> None:
        try:
            if n % 5 == 0:  # an update to content another memory has: refused
                store.update_memory(victims[n // 5], MemoryPatch(content="taken"), T0)
            else:
                results[n] = store.insert_memories([memory(f"good {n}")])[0].id
        except ConflictError as exc:
            results[n] = exc

    threads = [threading.Thread(target=work, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = sorted(n for n, r in results.items() if isinstance(r, ConflictError))
    assert failed == list(range(0, 50, 5))
    assert store.stats().memories == 1 + 10 + 40
    assert {m.content for m in store.memories_by_id(victims).values()} == {
        f"victim {n}" for n in range(10)
    }
    assert store.get_memory(taken) is not None


# --- where it lives, and its end --------------------------------------------------------------
def test_location_and_local_files(engine: EngineFactory, store: Store) -> None:
    assert store.location
    insert(store, "lives somewhere")
    files = store.local_files()
    if files:  # an embedded engine: its data is in these files, and only there
        assert any(path.exists() for path in files)
        store.close()
        for path in files:
            path.unlink(missing_ok=True)
        again = engine.open()
        try:
            assert again.stats().memories == 0
        finally:
            again.close()


def test_a_closed_store_refuses_work_and_closes_twice_quietly(engine: EngineFactory) -> None:
    opened = engine.open()
    (memory_id,) = insert(opened, "written before close")
    assert opened.get_memory(memory_id) is not None  # this thread has read from it
    opened.close()
    opened.close()
    with pytest.raises(StorageError):
        opened.get_memory(memory_id)
    with pytest.raises(StorageError):
        opened.insert_memories([memory("after close")])
    again = engine.open()
    try:
        assert [m.id for m in again.list_memories(EVERYTHING, limit=5)] == [memory_id]
    finally:
        again.close()
