"""A PostgreSQL store keeps its planner statistics itself: the test server runs without
autovacuum, and a freshly loaded store has none yet, which made plans for an empty table (a
vector search that measured every vector instead of asking the HNSW index)."""

from __future__ import annotations

import time

import psycopg

from memvault.storage.postgres.store import PostgresStore
from tests.postgres_server import split_location
from tests.storage.contract.helpers import memory


def test_tables_grown_past_their_statistics_are_analyzed_by_the_writer(location: str) -> None:
    store = PostgresStore(location)
    try:
        store.insert_memories([memory(f"memory {n}") for n in range(300)])
        time.sleep(2.2)  # the writer looks again after ANALYZE_CHECK_S
        store.insert_memories([memory("one more")])
    finally:
        store.close()  # waits for the statistics thread
    url, schema = split_location(location)
    with psycopg.connect(url) as conn:
        analyzed = conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = %s"
            " AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)",
            (schema,),
        ).fetchall()
        estimate = conn.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (f"{schema}.memories",)
        ).fetchone()
    assert {"memories", "memory_terms"} <= {row[0] for row in analyzed}
    assert estimate is not None and estimate[0] >= 300  # the planner knows the table's size
