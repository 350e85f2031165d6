"""Many servers, one database: three ``memvault serve --http`` processes on one PostgreSQL
store, each written to by four clients at once and each embedding in the background. Nothing is
lost, nothing is embedded twice, and every server sees the others' writes at once."""

from __future__ import annotations

import time
from contextlib import ExitStack

import anyio
import psycopg

import memvault
from tests.postgres_server import split_location
from tests.server.mcp_helpers import call, http_client, http_server

SERVERS, CLIENTS, WRITES = 3, 4, 250


def test_three_servers_share_one_postgresql_store_and_lose_nothing(postgres_url: str) -> None:
    ids: dict[tuple[int, int], list[str]] = {}
    with ExitStack() as stack:
        bases = [stack.enter_context(http_server(None, db=postgres_url)) for _ in range(SERVERS)]

        async def client(server: int, n: int) -> None:
            written: list[str] = []
            async with http_client(bases[server]) as mcp:
                for i in range(WRITES):
                    made = await call(
                        mcp, "remember", content=f"fact {i}: kestrel_{server}_{n}_{i}"
                    )
                    written.append(made["id"])
            ids[(server, n)] = written
            # another server finds this client's last write at once (no cache, no delay)
            async with http_client(bases[(server + 1) % SERVERS]) as other:
                found = await call(
                    other,
                    "search",
                    query=f"kestrel_{server}_{n}_{WRITES - 1}",
                    mode="keyword",
                    limit=1,
                )
                assert [hit["id"] for hit in found["hits"]] == [written[-1]]

        async def everyone() -> None:
            async with anyio.create_task_group() as group:
                for server in range(SERVERS):
                    for n in range(CLIENTS):
                        group.start_soon(client, server, n)

        anyio.run(everyone)
        every = {memory_id for written in ids.values() for memory_id in written}
        assert len(every) == SERVERS * CLIENTS * WRITES
        with memvault.open(postgres_url, background=False) as vault:
            deadline = time.monotonic() + 120  # the servers' workers drain the queue meanwhile
            while (counts := vault.jobs()).done < len(every) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert counts.done == len(every) and counts.failed == 0, counts
            assert {m.id for m in vault.list(limit=10_000)} == every
            assert vault.check().ok
    url, schema = split_location(postgres_url)
    with psycopg.connect(url) as conn:
        claims = conn.execute(
            f"SELECT count(*), count(*) FILTER (WHERE attempts != 1) FROM {schema}.jobs"
        ).fetchone()
        vectors = conn.execute(f"SELECT count(*) FROM {schema}.memory_vectors").fetchone()
    assert claims == (len(every), 0)  # one job per memory, each claimed and embedded once
    assert vectors == (len(every),)
