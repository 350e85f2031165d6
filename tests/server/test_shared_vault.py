"""Several agents share one vault: three stdio servers and the CLI, writing at the same time."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
from mcp import Client

import memvault
from tests.server.mcp_helpers import call, server_env, stdio_params

WRITES = 200


def test_three_servers_and_the_cli_write_concurrently_and_nothing_is_lost(home: Path) -> None:
    ids: dict[int, list[str]] = {}

    async def agent(n: int) -> None:
        async with Client(stdio_params(home)) as client:
            ids[n] = [
                (await call(client, "remember", content=f"agent {n} fact {i}: heron_{n}_{i}"))["id"]
                for i in range(WRITES)
            ]
            found = await call(client, "search", query=f"heron_{n}_{WRITES - 1}", mode="keyword")
            assert found["hits"][0]["id"] == ids[n][-1]

    async def everyone() -> None:
        cli = await anyio.open_process(
            [
                sys.executable,
                "-m",
                "memvault.cli.app",
                "--home",
                str(home),
                "note",
                "write",
                "shared/cli-note",
                "--content",
                "written by the CLI meanwhile",
            ],
            env=server_env(),
        )
        async with anyio.create_task_group() as group:
            for n in range(3):
                group.start_soon(agent, n)
        assert await cli.wait() == 0

    anyio.run(everyone)
    every = {memory_id for written in ids.values() for memory_id in written}
    assert len(every) == 3 * WRITES
    with memvault.open(home, background=False) as vault:
        stored = {m.id for m in vault.list(limit=10_000, kinds=["fact"])}
        assert stored == every
        assert vault.notes.read("shared/cli-note").body.startswith("written by the CLI")
        report = vault.check()
        assert report.ok, report.to_dict()
        assert vault.folder is not None
        files = list((vault.folder / "memories").rglob("*.md"))
        assert len(files) == 3 * WRITES


def test_stdio_server_embeds_in_the_background(home: Path) -> None:
    async def session() -> None:
        async with Client(stdio_params(home)) as client:
            await call(client, "remember", content="the vector arrives without waiting")
            for _ in range(100):
                jobs = await call(client, "jobs")
                if jobs["done"] == 1:
                    break
                await anyio.sleep(0.1)
            assert jobs["done"] == 1 and jobs["queued"] == 0
            found = await call(client, "search", query="vector arrives", mode="vector")
            assert found["hits"]

    anyio.run(session)
