"""What hosted tenants on PostgreSQL cost the server: connections, catalog, bytes, open times.

The figures of docs/hosting.md ("Tenants on PostgreSQL"), measured on a throw-away database of
the server at ``MEMVAULT_BENCH_POSTGRES_URL`` (by default the local test server), dropped at
the end. A real ``Host`` (the one ``memvault serve --tenants`` runs) serves TENANTS tenants on
PostgreSQL with at most MAX_OPEN open, one request each in turn, then four threads at once on
every open tenant; the connections are counted in ``pg_stat_activity`` by their
``application_name`` (``memvault:<schema>``), then counted again as the host sits idle.

    python benchmarks/hosted_postgres.py [TENANTS [MAX_OPEN [IDLE_S]]]

Keep ``3 * MAX_OPEN`` well under the server's ``max_connections`` when the server is shared.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from memvault.hosting.host import Host
from memvault.hosting.registry import Tenant, TenantRegistry
from memvault.hosting.stores import HOSTED_POOL_MAX, tenant_schema

SERVER_URL = os.environ.get(
    "MEMVAULT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
THREADS_PER_TENANT = 4


def one(conn: psycopg.Connection[Any], query: str, *args: object) -> Any:
    row = conn.execute(query, args).fetchone()
    assert row is not None
    return row[0]


def held(database: str) -> int:
    with psycopg.connect(database) as conn:
        return int(
            one(
                conn,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name LIKE 'memvault:%%'",
            )
        )


def median_ms(action: Callable[[], object], times: int) -> float:
    taken = []
    for _ in range(times):
        start = time.perf_counter()
        action()
        taken.append(time.perf_counter() - start)
    return statistics.median(taken) * 1000


def serve_each(host: Host, tenants: list[Tenant]) -> float:
    """One request per tenant in turn; the median time to lease its vault (a first open)."""
    opened = []
    for tenant in tenants:
        start = time.perf_counter()
        with host.serving(tenant) as vault:
            opened.append(time.perf_counter() - start)
            vault.remember(f"hello from {tenant.name}")
            vault.search("hello")
    return statistics.median(opened) * 1000


def lease(host: Host, tenant: Tenant) -> None:
    with host.serving(tenant) as vault:
        vault.stats()


def crowd(host: Host, tenants: list[Tenant]) -> None:
    def busy(tenant: Tenant) -> None:
        with host.serving(tenant) as vault:
            for n in range(5):
                vault.remember(f"busy {tenant.name} {n}")
                vault.search("busy")

    threads = [
        threading.Thread(target=busy, args=(tenant,))
        for tenant in tenants
        for _ in range(THREADS_PER_TENANT)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def measure(database: str, count: int, max_open: int, idle_s: int) -> None:
    with psycopg.connect(database) as conn:
        print("server max_connections", one(conn, "SHOW max_connections"))
        empty = int(one(conn, "SELECT pg_database_size(current_database())"))
    print(f"connect on loopback: {median_ms(lambda: psycopg.connect(database).close(), 20):.1f} ms")
    registry = TenantRegistry(Path(tempfile.mkdtemp()), create=True)
    start = time.perf_counter()
    tenants = [registry.add(f"tenant-{n:03d}", database=database)[0] for n in range(count)]
    print(f"tenants add: {(time.perf_counter() - start) / count * 1000:.1f} ms each")
    host = Host(registry, max_open=max_open, idle_seconds=3600, embedder="hash")
    host.start()
    try:
        first = serve_each(host, tenants)
        print(f"first open (migrations): median {first:.0f} ms; connections {held(database)}")
        schema = tenant_schema(tenants[0].name)
        with psycopg.connect(database) as conn:
            relations = one(
                conn,
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s",
                schema,
            )
            grown = int(one(conn, "SELECT pg_database_size(current_database())")) - empty
        print(f"relations per schema {relations}; {grown / count / 1024:.0f} KiB per tenant")
        open_now = [t for t in tenants if t.name in host.pool.open_names()]
        crowd(host, open_now)
        print(
            f"{THREADS_PER_TENANT} threads on each of {len(open_now)} open tenants: "
            f"connections {held(database)} (bound {len(open_now)} x {HOSTED_POOL_MAX})"
        )
        for waited in range(idle_s // 4, idle_s + 1, idle_s // 4):
            time.sleep(idle_s // 4)
            print(f"idle {waited} s: connections {held(database)}")
        leased = median_ms(lambda: lease(host, open_now[0]), 20)
        print(f"a request's lease of an open tenant (stats): {leased:.2f} ms")
    finally:
        host.stop()
    print(f"after stop: connections {held(database)}")


def main() -> None:
    given = [int(arg) for arg in sys.argv[1:4]]
    count, max_open, idle_s = given + [30, 10, 140][len(given) :]
    name = f"memvault_hosted_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        measure(SERVER_URL.rsplit("/", 1)[0] + f"/{name}", count, max_open, idle_s)
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
