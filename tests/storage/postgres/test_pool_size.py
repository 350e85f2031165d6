"""A store opened with ``pool_max=N`` (how a host opens each tenant's) holds at most N
connections to the server, however many threads use it, and says so in pg_stat_activity by its
schema; a bad ``pool_max`` is one line."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from memvault.core.errors import InvalidInputError
from memvault.core.records import MemoryFilter
from memvault.storage.postgres.connection import PostgresLocation
from memvault.storage.postgres.store import PostgresStore
from tests.storage.contract.helpers import insert


def held(location: PostgresLocation) -> int:
    with psycopg.connect(location.conninfo) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (f"memvault:{location.schema}",),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_small_pool_holds_at_most_its_connections_under_many_threads(location: str) -> None:
    small = f"{location}&pool_max=2"
    where = PostgresLocation.parse(small)
    assert where.pool_max == 2 and "pool_max" not in where.conninfo
    store = PostgresStore(small)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                insert(store, f"thread {n} memory {i}")
                store.list_memories(MemoryFilter(), limit=20)
        except BaseException as exc:  # the test fails on any
            failures.append(exc)

    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert len(store.list_memories(MemoryFilter(), limit=100)) == 50  # all, through 2
        assert 1 <= held(where) <= 2
    finally:
        store.close()
    assert held_after_close(where) == 0


def held_after_close(location: PostgresLocation, wait_s: float = 5.0) -> int:
    """Connections still listed once the client closed them: a backend leaves
    pg_stat_activity a moment after its client goes (seen once in CI: 1 right after close)."""
    deadline = time.monotonic() + wait_s
    while (count := held(location)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


@pytest.mark.parametrize("value", ["0", "65", "many", ""])
def test_a_bad_pool_max_is_refused_in_one_line(location: str, value: str) -> None:
    with pytest.raises(InvalidInputError, match="pool_max") as refused:
        PostgresLocation.parse(f"{location}&pool_max={value}")
    assert "\n" not in str(refused.value)
