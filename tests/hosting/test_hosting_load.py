"""A hosted server under a short load of clients on more tenants than it keeps open: no errors,
no tenant shown another's memory, and never more vaults open than ``--max-open``, counted from
the server's own open files."""

from __future__ import annotations

import asyncio
import random
import threading
from pathlib import Path

import httpx

from tests.hosting.tenant_load import (
    Hosted,
    Key,
    Written,
    call,
    client,
    foreign,
    hosted,
    make_tenants,
    open_vaults,
)

TENANTS = 10
CLIENTS = 6  # more than MAX_OPEN: requests wait for room rather than open an eleventh file
MAX_OPEN = 4
SECONDS = 4.0


class OpenVaults:
    """The most vaults the server had open, sampled from /proc on a thread until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.most = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> OpenVaults:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.most = max(self.most, open_vaults(self.pid))
            self.samples += 1


class Load:
    def __init__(self, keys: list[Key], written: Written) -> None:
        self.keys, self.written = keys, written
        self.requests = 0
        self.problems: list[str] = []  # errors and cross-tenant results, one line each

    async def client(self, number: int, http: httpx.AsyncClient, until: float) -> None:
        rng = random.Random(number)
        loop = asyncio.get_running_loop()
        while loop.time() < until:
            key = rng.choice(self.keys)
            step = rng.choice((self.remember, self.search, self.get, self.recent))
            try:
                await step(http, key, rng)
            except (httpx.HTTPError, AssertionError, KeyError) as exc:
                self.problems.append(f"{step.__name__} of {key.name}: {exc!r}")
            self.requests += 1

    async def remember(self, http: httpx.AsyncClient, key: Key, rng: random.Random) -> None:
        content = f"{key.marker} load {rng.random():.8f}"
        ok, answer = await call(http, key, "remember", content=content)
        assert ok, answer
        self.written.add(key.name, answer["id"], content)

    async def search(self, http: httpx.AsyncClient, key: Key, _rng: random.Random) -> None:
        ok, answer = await call(http, key, "search", query=key.marker)
        assert ok and answer["hits"], answer
        self._own(key, "search", [hit["content"] for hit in answer["hits"]])

    async def get(self, http: httpx.AsyncClient, key: Key, rng: random.Random) -> None:
        own = self.written.memories[key.name]
        memory_id = rng.choice(list(own))
        ok, answer = await call(http, key, "get", id=memory_id)
        assert ok and answer["content"] == own[memory_id], answer
        other = rng.choice([k for k in self.keys if k is not key])
        ok, answer = await call(http, other, "get", id=memory_id)
        if ok or "no memory with id" not in answer:
            self.problems.append(f"{other.name} got {key.name}'s {memory_id}: {answer}")

    async def recent(self, http: httpx.AsyncClient, key: Key, _rng: random.Random) -> None:
        ok, answer = await call(http, key, "recent", limit=20)
        assert ok, answer
        self._own(key, "recent", [memory["content"] for memory in answer["memories"]])

    def _own(self, key: Key, tool: str, contents: list[str]) -> None:
        for content in contents:
            if foreign(content, key):
                self.problems.append(f"{tool} of {key.name} showed {content!r}")


async def run_load(server: Hosted, load: Load) -> None:
    async with client(server.base, CLIENTS) as http:
        for key in load.keys:  # one memory each first, for search and get to find
            await load.remember(http, key, random.Random(0))
        until = asyncio.get_running_loop().time() + SECONDS
        await asyncio.gather(*(load.client(n, http, until) for n in range(CLIENTS)))


def test_load_on_more_tenants_than_open_vaults_stays_within_the_bound(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    keys = make_tenants(root, TENANTS)
    load = Load(keys, Written())
    with (
        hosted(root, "--max-open", str(MAX_OPEN)) as server,
        OpenVaults(server.process.pid) as vaults,
    ):
        asyncio.run(run_load(server, load))
    assert load.problems == [], load.problems[:5]
    assert load.requests >= 4 * CLIENTS, "too few requests to test anything"
    assert vaults.samples >= 50
    assert vaults.most == MAX_OPEN  # reached (the sampler sees them) and never passed
