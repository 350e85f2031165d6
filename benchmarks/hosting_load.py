"""A hosted server under load: many clients, each request on a random tenant with its token.

The clients are plain JSON-RPC POSTs over httpx to a real ``memvault serve --tenants`` process
(stateless streamable HTTP with JSON answers), one asyncio task per client, so one process of
the benchmark drives fifty clients without the MCP client's own cost in the figures. Every
tenant's memories carry a marker word of its own (``mk0042q``); a hit, a listed memory or a
fetched memory that carries another tenant's marker, or that a foreign tenant's token could
fetch, is a cross-tenant result. Every acknowledged write is kept (id and content) so that a
restart after ``kill -9`` can be checked against it.

While the load runs, the server's resident memory and open file handles are read from
``/proc/PID`` every second; an open vault is a distinct ``memvault.db`` among its handles.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from memvault.core.home import DB_FILE_NAME

PROTOCOL = "2025-11-25"  # the handshake era: a bare tools/call needs no _meta envelope
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": PROTOCOL,
}
MARKERS = re.compile(r"\bmk\d{4}q\b")
OPERATIONS = ("remember", "search", "get", "recent")
WEIGHTS = (25, 35, 25, 15)
FOREIGN_GET_SHARE = 0.1  # of the gets: another tenant's id, which must not be found
WORDS = ("river", "lantern", "copper", "meadow", "signal", "harbor", "pencil", "orbit", "velvet")


def marker(index: int) -> str:
    return f"mk{index:04d}q"


@dataclass(frozen=True)
class TenantKey:
    name: str
    token: str
    marker: str


@dataclass
class Ledger:
    """Every acknowledged memory by tenant: id -> content (the seeds and the load's writes)."""

    memories: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, tenant: str, memory_id: str, content: str) -> None:
        self.memories.setdefault(tenant, {})[memory_id] = content

    def count(self) -> int:
        return sum(len(ids) for ids in self.memories.values())


class CallFailed(Exception):
    """A request that did not get its answer: an HTTP status, a JSON-RPC or a tool error."""


@dataclass
class LoadResult:
    seconds: float = 0.0
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: {o: [] for o in OPERATIONS})
    errors: int = 0
    error_lines: list[str] = field(default_factory=list)  # the first few, to say what failed
    cross_tenant: int = 0
    cross_lines: list[str] = field(default_factory=list)
    foreign_refused: int = 0  # gets of another tenant's id answered "no memory" (as they must)

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latency_ms.values())

    def error(self, line: str) -> None:
        self.errors += 1
        if len(self.error_lines) < 10:
            self.error_lines.append(line)

    def cross(self, line: str) -> None:
        self.cross_tenant += 1
        if len(self.cross_lines) < 10:
            self.cross_lines.append(line)


class Rpc:
    """``tools/call`` as one POST to /mcp with a tenant's bearer token."""

    def __init__(self, base: str, connections: int) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._http = httpx.AsyncClient(
            base_url=base, headers=HEADERS, limits=limits, timeout=httpx.Timeout(120)
        )
        self._ids = 0

    async def call(self, token: str, tool: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
        """(True, structured answer) or (False, the tool error's text); CallFailed otherwise."""
        self._ids += 1
        body = {
            "jsonrpc": "2.0",
            "id": self._ids,
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments},
        }
        reply = await self._http.post(
            "/mcp", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        if reply.status_code != 200:
            raise CallFailed(f"{tool}: HTTP {reply.status_code} {reply.text[:200]}")
        message = reply.json()
        if "error" in message:
            raise CallFailed(f"{tool}: JSON-RPC error {message['error']}")
        result = message["result"]
        if result.get("isError"):
            return False, result["content"][0]["text"]
        return True, result.get("structuredContent") or json.loads(result["content"][0]["text"])

    async def close(self) -> None:
        await self._http.aclose()


def foreign_markers(content: str, own: str) -> set[str]:
    """The markers in ``content`` that are not ``own``; a content without ``own`` counts too."""
    found = set(MARKERS.findall(content))
    return found - {own} if own in found else found | {"(no marker)"}


@dataclass
class Client:
    rpc: Rpc
    tenants: list[TenantKey]
    ledger: Ledger
    result: LoadResult
    rng: random.Random
    number: int
    writes: int = 0

    async def one(self) -> None:
        tenant = self.rng.choice(self.tenants)
        operation = self.rng.choices(OPERATIONS, WEIGHTS)[0]
        started = time.perf_counter()
        await getattr(self, f"_{operation}")(tenant)
        self.result.latency_ms[operation].append((time.perf_counter() - started) * 1000)

    async def _remember(self, tenant: TenantKey) -> None:
        self.writes += 1
        words = " ".join(self.rng.choices(WORDS, k=4))
        content = f"{tenant.marker} load write {self.number}-{self.writes}: {words}"
        answer = await self._ok(tenant, "remember", {"content": content})
        self.ledger.add(tenant.name, str(answer["id"]), content)

    async def _search(self, tenant: TenantKey) -> None:
        answer = await self._ok(tenant, "search", {"query": tenant.marker, "limit": 10})
        hits = answer["hits"]
        if not hits:
            raise CallFailed(f"search of {tenant.name} for its marker found nothing")
        for hit in hits:
            self._own(tenant, "search", hit["id"], hit["content"])

    async def _get(self, tenant: TenantKey) -> None:
        if self.rng.random() < FOREIGN_GET_SHARE:
            await self._foreign_get(tenant)
            return
        own = self.ledger.memories[tenant.name]
        memory_id = self.rng.choice(list(own))
        answer = await self._ok(tenant, "get", {"id": memory_id})
        if answer["content"] != own[memory_id]:
            self._own(tenant, "get", memory_id, str(answer["content"]))
            raise CallFailed(f"get {memory_id} of {tenant.name}: not the content written")

    async def _foreign_get(self, tenant: TenantKey) -> None:
        other = self.rng.choice([t for t in self.tenants if t is not tenant][:50])
        memory_id = self.rng.choice(list(self.ledger.memories[other.name]))
        ok, answer = await self.rpc.call(tenant.token, "get", {"id": memory_id})
        if ok:
            self.result.cross(f"{tenant.name} got {other.name}'s {memory_id}: {answer}")
        elif "no memory with id" in str(answer):
            self.result.foreign_refused += 1
        else:
            raise CallFailed(f"foreign get by {tenant.name}: {answer}")

    async def _recent(self, tenant: TenantKey) -> None:
        answer = await self._ok(tenant, "recent", {"limit": 10})
        for memory in answer["memories"]:
            self._own(tenant, "recent", memory["id"], memory["content"])

    async def _ok(self, tenant: TenantKey, tool: str, arguments: dict[str, Any]) -> Any:
        ok, answer = await self.rpc.call(tenant.token, tool, arguments)
        if not ok:
            raise CallFailed(f"{tool} of {tenant.name}: {answer}")
        return answer

    def _own(self, tenant: TenantKey, tool: str, memory_id: str, content: str) -> None:
        if foreign_markers(content, tenant.marker):
            self.result.cross(f"{tool} of {tenant.name} showed {memory_id}: {content[:80]!r}")


async def run_load(
    base: str,
    tenants: list[TenantKey],
    ledger: Ledger,
    *,
    clients: int,
    seconds: float,
    seed: int = 19,
    after: Callable[[], None] | None = None,
) -> LoadResult:
    """``clients`` clients for ``seconds``; ``after`` (a callable, e.g. a kill -9 of the
    server) runs when the time is up, while the clients are still sending: what fails after it
    is not counted, what was answered before it is acknowledged."""
    result = LoadResult()
    rpc = Rpc(base, clients)
    ending = asyncio.Event()  # set before ``after``: what fails from then on is its doing
    done = asyncio.Event()
    started = time.monotonic()

    async def client(number: int) -> None:
        each = Client(rpc, tenants, ledger, result, random.Random(seed * 1000 + number), number)
        while not done.is_set():
            try:
                await each.one()
            except (CallFailed, httpx.HTTPError, KeyError, ValueError) as exc:
                if ending.is_set():
                    return
                result.error(f"{type(exc).__name__}: {exc!r}")

    tasks = [asyncio.create_task(client(n)) for n in range(clients)]
    await asyncio.sleep(seconds)
    result.seconds = time.monotonic() - started
    ending.set()
    if after is not None:
        after()
    done.set()
    await asyncio.gather(*tasks)
    await rpc.close()
    return result


# --- the server and what it holds -------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    rss_kb: int
    fds: int
    open_vaults: int
    threads: int


def sample(pid: int) -> Sample:
    """The process's resident memory, open handles, open vaults (distinct ``memvault.db``
    files among its handles: :func:`open_databases`) and threads, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return Sample(
        rss_kb=int(fields["VmRSS"].split()[0]),
        fds=len(os.listdir(f"/proc/{pid}/fd")),
        open_vaults=len(open_databases(pid)),
        threads=int(fields["Threads"]),
    )


def open_databases(pid: int) -> set[str]:
    """The ``memvault.db`` files the process had open at one moment.

    /proc lists handles one by one while the server closes and opens vaults, so one pass may
    see a handle of a vault closed since and one of the vault opened in its place: a vault
    too many. Two passes, and only handles that named the same file in both: each was open
    from the end of the first pass to the start of the second, all of them at once."""
    first, second = _handles(pid), _handles(pid)
    return {
        target
        for fd, target in first.items()
        if second.get(fd) == target and target.endswith(f"/{DB_FILE_NAME}")
    }


def _handles(pid: int) -> dict[str, str]:
    found = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            found[name] = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:  # closed since the listing
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process so far."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


class Sampler:
    """``sample(pid)`` every ``every`` seconds on a thread, until stopped."""

    def __init__(self, pid: int, every: float = 1.0) -> None:
        self.pid, self.every = pid, every
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            try:
                self.samples.append(sample(self.pid))
            except (OSError, KeyError):  # the process is gone (killed on purpose)
                return
            if self._stop.wait(self.every):
                return

    def peak(self) -> Sample:
        return Sample(
            rss_kb=max(s.rss_kb for s in self.samples),
            fds=max(s.fds for s in self.samples),
            open_vaults=max(s.open_vaults for s in self.samples),
            threads=max(s.threads for s in self.samples),
        )


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@contextmanager
def hosted_server(
    root: Path, port: int, *, max_open: int, env: dict[str, str], log: Path
) -> Iterator[Server]:
    """``memvault serve --http 127.0.0.1:PORT --tenants ROOT --max-open N`` (every tool), until
    the block ends (SIGTERM, unless it was killed already); its stderr goes to ``log``."""
    command = [sys.executable, "-m", "memvault.cli.app", "--log-level", "off", "serve"]
    command += ["--http", f"127.0.0.1:{port}", "--tenants", str(root), "--tools", "all"]
    command += ["--max-open", str(max_open)]
    with log.open("ab") as stderr:
        child = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
        )
    server = Server(child, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        if child.poll() is None:
            child.terminate()
            child.wait(timeout=60)


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            error = server.log.read_text("utf-8", "replace")[-2000:]
            raise RuntimeError(f"memvault serve exited {server.process.returncode}: {error}")
        try:
            if httpx.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("memvault serve --tenants did not answer /healthz in 60 s")


# --- after a restart ---------------------------------------------------------------------------
@dataclass
class Verified:
    checked: int = 0
    missing: list[str] = field(default_factory=list)  # "tenant id: what the server said"
    foreign_visible: list[str] = field(default_factory=list)


async def verify(
    base: str, tenants: list[TenantKey], ledger: Ledger, *, clients: int = 8
) -> Verified:
    """Every acknowledged memory fetched with its own tenant's token (same content), and with
    the next tenant's token (which must not find it)."""
    by_name = {t.name: t for t in tenants}
    work = [
        (by_name[name], tenants[(tenants.index(by_name[name]) + 1) % len(tenants)], mid, text)
        for name, ids in ledger.memories.items()
        for mid, text in ids.items()
    ]
    verified = Verified()
    rpc = Rpc(base, clients)

    async def worker(share: list[tuple[TenantKey, TenantKey, str, str]]) -> None:
        for owner, other, memory_id, content in share:
            ok, answer = await rpc.call(owner.token, "get", {"id": memory_id})
            if not ok or answer["content"] != content:
                verified.missing.append(f"{owner.name} {memory_id}: {str(answer)[:120]}")
            ok, answer = await rpc.call(other.token, "get", {"id": memory_id})
            if ok:
                verified.foreign_visible.append(f"{other.name} sees {owner.name}'s {memory_id}")
            verified.checked += 1

    await asyncio.gather(*(worker(work[n::clients]) for n in range(clients)))
    await rpc.close()
    return verified
