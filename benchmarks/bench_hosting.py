"""A hosted server (``memvault serve --tenants``) under load, killed, restarted: throughput,
latency, memory and file handles per open tenant, and whether every acknowledged write is kept.

500 tenants are made (``TenantRegistry.add``, what ``memvault tenants add`` runs) and 200 of
them seeded with memories carrying a marker word of their own (``hosting_load.py``). A real
server process is then loaded by 50 clients for 60 s, each request on a random one of the 200
with its token (remember, search for its own marker, get, recent), once with ``--max-open 16``
and once with 64 (the default); the second run ends with ``kill -9`` while the clients are still
sending. After a restart every acknowledged memory of every tenant is fetched with its own
token and with another tenant's, and every tenant's vault is checked (``Vault.check``, what
``memvault check`` runs). Before each load the server is measured idle, with no tenant open and
with ``max-open`` of them opened one after the other: that difference is the cost of an open
tenant. Loopback only; vectors from the hash embedder (the bundled model would spend the two
cores on embedding, which ``make bench`` measures on its own). Last, one tenant's heavy import
beside another's searches, with the bundled model (``hosting_fairness.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import hosting_fairness
import hosting_load
from hosting_load import Ledger, LoadResult, Sample, Sampler, TenantKey, Verified
from report import Section
from timing import log, percentile

from memvault.core.records import MemoryDraft
from memvault.hosting.host import open_tenant
from memvault.hosting.registry import TenantRegistry
from memvault.service.opening import open_vault

TENANTS = 500
ACTIVE = 200
SEEDS = 10  # memories per active tenant before the load
CLIENTS = 50
SECONDS = 60.0
BOUNDS = (16, 64)  # --max-open of the two runs; the second is killed
EMBEDDER = "hash"


@dataclass
class HostingRun:
    max_open: int
    idle: Sample  # no tenant open
    opened: Sample  # max_open tenants opened one after the other, then idle
    peak: Sample  # the highest of each figure while the load ran
    load: LoadResult
    server_cpu_s: float
    client_cpu_s: float
    killed: bool


@dataclass
class Restart:
    verified: Verified
    acknowledged: int  # writes acknowledged during the loads
    checked_ok: int
    check_failures: list[str]


def run(folder: Path, seconds: float = SECONDS) -> list[Section]:
    root = folder / "hosting"
    started = time.perf_counter()
    keys = make_tenants(root, TENANTS)
    log(f"hosting: {TENANTS} tenants made in {time.perf_counter() - started:.1f} s")
    active = keys[:ACTIVE]
    ledger = seed(root, active)
    seeded = ledger.count()
    env = {**os.environ, "MEMVAULT_EMBEDDER": EMBEDDER}
    env.pop("MEMVAULT_TOKEN", None)
    runs = [
        loaded(root, active, ledger, max_open, seconds, env, kill=max_open == BOUNDS[-1])
        for max_open in BOUNDS
    ]
    restart = restarted(root, active, ledger, env, acknowledged=ledger.count() - seeded)
    fairness = hosting_fairness.run(folder, free_port())
    return [*sections(runs, restart, seconds), fairness]


def make_tenants(root: Path, count: int) -> list[TenantKey]:
    registry = TenantRegistry(root, create=True)
    keys = []
    for index in range(count):
        tenant, token = registry.add(f"tenant-{index:04d}")
        keys.append(TenantKey(tenant.name, token, hosting_load.marker(index)))
    return keys


def seed(root: Path, tenants: list[TenantKey]) -> Ledger:
    """``SEEDS`` memories per tenant, written (and embedded) before any server runs."""
    registry = TenantRegistry(root)
    ledger = Ledger()
    for key in tenants:
        texts = [
            f"{key.marker} seed {n}: {' '.join(hosting_load.WORDS[n % 5 :][:5])}"
            for n in range(SEEDS)
        ]
        with open_tenant(registry, registry.get(key.name), EMBEDDER) as vault:
            outcomes = vault.remember_many([MemoryDraft(text) for text in texts])
            vault.wait_for_jobs()
        for outcome, text in zip(outcomes, texts, strict=True):
            ledger.add(key.name, outcome.id, text)
    log(f"hosting: {len(tenants)} tenants seeded with {SEEDS} memories each")
    return ledger


def loaded(
    root: Path,
    active: list[TenantKey],
    ledger: Ledger,
    max_open: int,
    seconds: float,
    env: dict[str, str],
    *,
    kill: bool,
) -> HostingRun:
    """One server: idle, ``max_open`` tenants opened, then ``CLIENTS`` clients for ``seconds``
    (and ``kill -9`` at the end when ``kill``)."""
    log_file = root.parent / f"server-{max_open}.log"
    with hosting_load.hosted_server(
        root, free_port(), max_open=max_open, env=env, log=log_file
    ) as server:
        idle = settled(server.pid)
        asyncio.run(open_one_by_one(server.base, active[:max_open]))
        opened = settled(server.pid)
        log(f"hosting: --max-open {max_open}, {CLIENTS} clients for {seconds:.0f} s")
        cpu, client_cpu = hosting_load.cpu_seconds(server.pid), time.process_time()
        ending = LoadEnd(server, kill=kill)
        with Sampler(server.pid) as sampler:
            load = asyncio.run(
                hosting_load.run_load(
                    server.base,
                    active,
                    ledger,
                    clients=CLIENTS,
                    seconds=seconds,
                    after=ending,
                )
            )
        server_cpu = ending.cpu_s - cpu
        client_cpu = time.process_time() - client_cpu
    log(
        f"hosting: {load.requests / load.seconds:,.0f} requests/s, {load.errors} errors, "
        f"{load.cross_tenant} cross-tenant; peak {sampler.peak()}"
    )
    for line in load.error_lines + load.cross_lines:
        log(f"  {line}")
    if load.errors:  # what the server said about them
        log("  the server's log ends: " + log_file.read_text("utf-8", "replace")[-3000:])
    return HostingRun(
        max_open, idle, opened, sampler.peak(), load, server_cpu, client_cpu, killed=kill
    )


class LoadEnd:
    """What runs when the load's time is up: the server's CPU time read, then (for the last
    run) ``kill -9`` while the clients are still sending."""

    def __init__(self, server: hosting_load.Server, *, kill: bool) -> None:
        self.server, self.kill = server, kill
        self.cpu_s = 0.0

    def __call__(self) -> None:
        self.cpu_s = hosting_load.cpu_seconds(self.server.pid)
        if self.kill:
            self.server.kill9()


def settled(pid: int) -> Sample:
    """The server's figures after a second with nothing to do."""
    time.sleep(1.0)
    return hosting_load.sample(pid)


async def open_one_by_one(base: str, tenants: list[TenantKey]) -> None:
    """One search per tenant, one after the other: each opens its tenant's vault."""
    rpc = hosting_load.Rpc(base, 1)
    for key in tenants:
        ok, answer = await rpc.call(key.token, "search", {"query": key.marker})
        if not ok or not answer["hits"]:
            raise RuntimeError(f"search of {key.name} found nothing: {answer}")
    await rpc.close()


def restarted(
    root: Path, active: list[TenantKey], ledger: Ledger, env: dict[str, str], *, acknowledged: int
) -> Restart:
    """After ``kill -9``: a new server finds every acknowledged memory, each only in its own
    tenant; then, stopped, every tenant's vault passes its check."""
    log_file = root.parent / "server-restart.log"
    with hosting_load.hosted_server(
        root, free_port(), max_open=BOUNDS[-1], env=env, log=log_file
    ) as server:
        verified = asyncio.run(hosting_load.verify(server.base, active, ledger))
    log(
        f"hosting: after kill -9, {verified.checked:,} memories fetched, "
        f"{len(verified.missing)} missing, {len(verified.foreign_visible)} seen by another tenant"
    )
    failures = []
    for key in active:
        with open_vault(root / key.name, embedder=EMBEDDER, background=False) as vault:
            report = vault.check()
        if not report.ok:
            failures.append(f"{key.name}: " + "; ".join(c.name for c in report.checks if not c.ok))
    log(f"hosting: check of {len(active)} tenants: {len(failures)} failed")
    return Restart(verified, acknowledged, len(active) - len(failures), failures)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the tables ------------------------------------------------------------------------------
def sections(runs: list[HostingRun], restart: Restart, seconds: float) -> list[Section]:
    return [
        load_section(runs, seconds),
        latency_section(runs),
        sizing_section(runs),
        restart_section(restart),
    ]


def _mib(kb: int) -> str:
    return f"{kb / 1024:,.0f}"


def load_section(runs: list[HostingRun], seconds: float) -> Section:
    section = Section(
        f"Hosted server under load: {CLIENTS} clients across {ACTIVE} of {TENANTS} tenants, "
        f"{seconds:.0f} s",
        [
            "--max-open",
            "requests/s",
            "errors",
            "cross-tenant",
            "foreign ids refused",
            "open vaults peak",
            "fds peak",
            "RSS peak MiB",
            "server CPU",
            "client CPU",
        ],
    )
    for r in runs:
        section.add(
            str(r.max_open),
            f"{r.load.requests / r.load.seconds:,.0f}",
            str(r.load.errors),
            str(r.load.cross_tenant),
            f"{r.load.foreign_refused:,}",
            str(r.peak.open_vaults),
            f"{r.peak.fds:,}",
            _mib(r.peak.rss_kb),
            f"{r.server_cpu_s / r.load.seconds:.0%}",
            f"{r.client_cpu_s / r.load.seconds:.0%}",
        )
    section.notes.append(
        f"A real `memvault serve --http 127.0.0.1:PORT --tenants DIR --max-open N` process; "
        f"{ACTIVE} of its {TENANTS} tenants seeded with {SEEDS} memories each, each tenant's "
        "memories carrying a marker word of its own. Each client sends one request after the "
        "other, a plain JSON-RPC `tools/call` POST with a random tenant's token: remember 25 % "
        "(each acknowledged id kept), search for the tenant's marker 35 %, get 25 % (one in ten "
        "of them another tenant's id, which must answer no memory: `foreign ids refused`), "
        "recent 15 %. Errors: any answer that is not the tool's (HTTP status, JSON-RPC or tool "
        "error, a search of the tenant's marker with no hit, a get whose content is not what "
        "was written). Cross-tenant: a hit, a listed or a fetched memory carrying another "
        "tenant's marker, or another tenant's id found. Open vaults: the distinct "
        "`memvault.db` files among the server's open handles (`/proc/PID/fd`, every second), "
        "with fds and RSS (`VmRSS`). CPU: the process's CPU time over the load's wall time "
        "(100 % is one core; the machine has 2, shared with the clients, which run in one "
        "asyncio process, and with other work)."
    )
    return section


def latency_section(runs: list[HostingRun]) -> Section:
    section = Section(
        "Hosted server latency by operation, ms",
        ["--max-open", "operation", "requests", "p50", "p99"],
    )
    for r in runs:
        for operation, values in r.load.latency_ms.items():
            section.add(
                str(r.max_open),
                operation,
                f"{len(values):,}",
                f"{percentile(values, 0.50):.1f}",
                f"{percentile(values, 0.99):.1f}",
            )
    section.notes.append(
        "Wall time on the client, from sending the POST to the parsed answer, with "
        f"{CLIENTS} requests in flight: a request's time is mostly its wait for the server's "
        "two cores. With more tenants in use than `--max-open`, a request may open its "
        "tenant's vault (and close the least recently used one)."
    )
    return section


def sizing_section(runs: list[HostingRun]) -> Section:
    section = Section(
        "Memory and file handles per open tenant",
        [
            "--max-open",
            "idle fds",
            "idle RSS MiB",
            "opened vaults",
            "fds then",
            "RSS then MiB",
            "fds per tenant",
            "RSS per tenant MiB",
            "fds per vault under load",
        ],
    )
    for r in runs:
        count = max(1, r.opened.open_vaults)
        under_load = (r.peak.fds - r.idle.fds) / max(1, r.peak.open_vaults)
        section.add(
            str(r.max_open),
            str(r.idle.fds),
            _mib(r.idle.rss_kb),
            str(r.opened.open_vaults),
            str(r.opened.fds),
            _mib(r.opened.rss_kb),
            f"{(r.opened.fds - r.idle.fds) / count:.1f}",
            f"{(r.opened.rss_kb - r.idle.rss_kb) / 1024 / count:.2f}",
            f"{under_load:.1f}",
        )
    section.notes.append(
        "Idle: the server a second after it started, no tenant open. Then `--max-open` tenants "
        "opened one after the other (one search each, so the vector index loads too) and a "
        "second of rest: the difference, divided by the vaults open, is what one open tenant "
        f"of {SEEDS} memories costs. Under load a vault has a reading connection per server "
        "thread that used it (each a handle on the database and one on its WAL) besides its "
        "writer: `fds per vault under load` is the peak handles above idle divided by the "
        "peak open vaults."
    )
    return section


def restart_section(restart: Restart) -> Section:
    verified = restart.verified
    section = Section(
        "kill -9 under load, then restart",
        [
            "writes acknowledged",
            "memories fetched",
            "missing",
            "seen by another tenant",
            "tenants checked",
            "check passed",
        ],
    )
    section.add(
        f"{restart.acknowledged:,}",
        f"{verified.checked:,}",
        str(len(verified.missing)),
        str(len(verified.foreign_visible)),
        str(restart.checked_ok + len(restart.check_failures)),
        str(restart.checked_ok),
    )
    section.notes.append(
        f"The `--max-open {BOUNDS[-1]}` server above was killed (`SIGKILL`) while its clients "
        "were still sending; a write counts as acknowledged when its answer came back before. "
        "A new server then fetched every acknowledged memory of both runs and the seeds with "
        "its tenant's token (same content, else missing) and with the next tenant's (which "
        "must not find it); then, stopped, every tenant's vault ran `Vault.check` (what "
        "`memvault --home DIR/<tenant> check` runs: integrity, indexes, vectors, the folder)."
    )
    for line in [*verified.missing[:5], *verified.foreign_visible[:5], *restart.check_failures]:
        section.notes.append(f"- {line}")
    return section


def main() -> None:
    """``python benchmarks/bench_hosting.py --seconds 10``: a trial run, printed only."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    args = parser.parse_args()
    import tempfile

    from rich.console import Console

    with tempfile.TemporaryDirectory(prefix="memvault-hosting-") as tmp:
        for section in run(Path(tmp), args.seconds):
            section.print(Console(width=150))


if __name__ == "__main__":
    main()
