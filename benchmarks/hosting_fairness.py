"""One tenant's heavy import beside another tenant's searches, on one hosted server.

Tenant ``big`` imports 20,000 records (``memvault --home DIR/big import jsonl``, its own process,
as an operator runs it; the embedding is left to the server's shared pool) while tenant
``small`` searches one request after another and then remembers one memory. Measured: small's
search latency before and during the import and big's embedding, and how long small's new
memory waits for its vector while big's queue is still thousands of jobs long. The bundled
model embeds here, because the shared embedding is what the tenants compete for.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import hosting_load
from hosting_load import Rpc
from report import Section
from timing import log, percentile

from memvault.hosting.registry import TenantRegistry

RECORDS = 20_000
PHASE_SECONDS = 15.0
EMBEDDER = "bundled"


def run(folder: Path, port: int) -> Section:
    root = folder / "fairness"
    registry = TenantRegistry(root, create=True)
    tokens = {name: registry.add(name, folder=False)[1] for name in ("big", "small")}
    env = {**os.environ, "MEMVAULT_EMBEDDER": EMBEDDER, "MEMVAULT_BACKGROUND": "0"}
    env.pop("MEMVAULT_TOKEN", None)
    source = folder / "big-import.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for n in range(RECORDS):
            words = " ".join(
                hosting_load.WORDS[(n + k) % len(hosting_load.WORDS)] for k in range(6)
            )
            out.write(json.dumps({"id": f"r{n}", "content": f"record {n}: {words}"}) + "\n")
    with hosting_load.hosted_server(
        root, port, max_open=8, env=env, log=folder / "fairness-server.log"
    ) as server:
        return asyncio.run(_measure(server.base, tokens, registry, source, env))


async def _measure(
    base: str, tokens: dict[str, str], registry: TenantRegistry, source: Path, env: dict[str, str]
) -> Section:
    rpc = Rpc(base, 4)
    try:
        for n in range(20):
            await rpc.call(
                tokens["small"], "remember", {"content": f"small tenant note {n} copper"}
            )
        quiet = await _searches(rpc, tokens["small"], PHASE_SECONDS)
        log("hosting fairness: big imports")
        started = time.perf_counter()
        home = str(registry.home("big"))
        importing = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "memvault.cli.app",
                "--home",
                home,
                "import",
                "jsonl",
                str(source),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        during = await _searches(rpc, tokens["small"], PHASE_SECONDS)
        assert await asyncio.to_thread(importing.wait) == 0
        imported_s = time.perf_counter() - started
        await rpc.call(tokens["big"], "stats", {})  # opens big: its queue joins the turns
        busy = await _searches(rpc, tokens["small"], PHASE_SECONDS)
        await rpc.call(tokens["small"], "remember", {"content": "small tenant's urgent memory"})
        waited = time.perf_counter()
        while (await rpc.call(tokens["small"], "jobs", {}))[1]["queued"]:
            await asyncio.sleep(0.05)
        small_wait = time.perf_counter() - waited
        big_left = (await rpc.call(tokens["big"], "jobs", {}))[1]["queued"]
    finally:
        await rpc.close()
    section = Section(
        "One tenant's import beside another's searches (one hosted server, bundled model)",
        ["", "small's searches", "p50 ms", "p99 ms"],
    )
    phases = (
        ("quiet", quiet),
        ("while big imports (another process)", during),
        ("while the server embeds big's import", busy),
    )
    for label, latencies in phases:
        section.add(
            label,
            f"{len(latencies):,}",
            f"{percentile(latencies, 0.5):.1f}",
            f"{percentile(latencies, 0.99):.1f}",
        )
    section.notes.append(
        f"Big imported {RECORDS:,} records in {imported_s:.1f} s (its own process). With big's "
        f"embedding queue still {big_left:,} jobs long, small's new memory had its vector "
        f"{small_wait:.2f} s after it was written: the shared pool takes tenants in turns, one "
        "batch each, so a small tenant waits for one of big's batches, not for big's import."
    )
    return section


async def _searches(rpc: Rpc, token: str, seconds: float) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        ok, answer = await rpc.call(token, "search", {"query": "copper note", "limit": 5})
        assert ok, answer
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies
