"""``kill -9`` of a hosted server while its tenants write: nothing acknowledged is lost, nothing
lands in another tenant, and every tenant's vault passes ``memvault check`` after."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import httpx
import pytest

from memvault.cli.app import main
from tests.hosting.tenant_load import (
    Hosted,
    Key,
    Written,
    call,
    client,
    foreign,
    hosted,
    make_tenants,
)

TENANTS = 16
WRITERS = 8
MAX_OPEN = 6  # fewer than the tenants: vaults are closed and opened again under the load
SECONDS = 3.0


async def write_until_killed(server: Hosted, keys: list[Key], written: Written) -> int:
    """WRITERS clients remembering on random tenants; after SECONDS the server is killed while
    they still send. Returns the failures seen before the kill (there must be none)."""
    killed = asyncio.Event()
    failures = 0

    async def writer(number: int, http: httpx.AsyncClient) -> None:
        nonlocal failures
        rng = random.Random(number)
        count = 0
        while not killed.is_set():
            key = rng.choice(keys)
            count += 1
            content = f"{key.marker} write {number}-{count} {rng.random():.6f}"
            try:
                ok, answer = await call(http, key, "remember", content=content)
            except (httpx.HTTPError, AssertionError):
                if not killed.is_set():
                    failures += 1
                return
            if ok:
                written.add(key.name, answer["id"], content)
            elif not killed.is_set():
                failures += 1

    async with client(server.base, WRITERS) as http:
        tasks = [asyncio.create_task(writer(n, http)) for n in range(WRITERS)]
        await asyncio.sleep(SECONDS)
        server.kill9()  # the clients are still sending: some writes are in flight
        killed.set()
        await asyncio.gather(*tasks)
    return failures


async def fetch_back(server: Hosted, keys: list[Key], written: Written) -> list[str]:
    """Every acknowledged memory with its own token (same content) and with the next tenant's
    (not found), and each tenant's search for its marker; what was wrong, one line each."""
    wrong: list[str] = []

    async def one_tenant(http: httpx.AsyncClient, owner: Key, other: Key) -> None:
        for memory_id, content in written.memories.get(owner.name, {}).items():
            ok, answer = await call(http, owner, "get", id=memory_id)
            if not ok or answer["content"] != content:
                wrong.append(f"{owner.name} lost {memory_id}: {answer}")
            ok, answer = await call(http, other, "get", id=memory_id)
            if ok or "no memory with id" not in answer:
                wrong.append(f"{other.name} sees {owner.name}'s {memory_id}: {answer}")
        ok, answer = await call(http, owner, "search", query=owner.marker, limit=50)
        assert ok, answer
        # (a write in flight at the kill may be there too: committed, never acknowledged)
        strays = [hit["id"] for hit in answer["hits"] if foreign(hit["content"], owner)]
        if strays or (owner.name in written.memories and not answer["hits"]):
            wrong.append(f"{owner.name}'s search for its marker found {strays} (or nothing)")

    async with client(server.base, 4) as http:
        await asyncio.gather(
            *(one_tenant(http, key, keys[(n + 1) % len(keys)]) for n, key in enumerate(keys))
        )
    return wrong


def check_every_tenant(
    root: Path, keys: list[Key], capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """``memvault --home DIR/<tenant> check --json`` for each tenant (the CLI's own ``main``,
    in this process: the same command without a start-up per tenant)."""
    failed = []
    for key in keys:
        capsys.readouterr()
        code = main(["--home", str(root / key.name), "check", "--json"])
        out, err = capsys.readouterr()
        if code != 0 or not json.loads(out)["ok"]:
            failed.append(f"{key.name}: exit {code} {out} {err}")
    return failed


def test_kill_9_under_load_keeps_every_acknowledged_write_in_its_own_tenant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "tenants"
    keys = make_tenants(root, TENANTS)
    written = Written()
    with hosted(root, "--max-open", str(MAX_OPEN)) as server:
        failures = asyncio.run(write_until_killed(server, keys, written))
        assert server.process.returncode == -9
    assert failures == 0
    assert written.count() >= 3 * WRITERS, "too few writes acknowledged to test anything"
    assert len(written.memories) >= TENANTS // 2
    with hosted(root, "--max-open", str(MAX_OPEN)) as server:
        wrong = asyncio.run(fetch_back(server, keys, written))
    assert wrong == [], wrong[:5]
    assert check_every_tenant(root, keys, capsys) == []
