"""remember latency, one memory per call, with 1 and 4 writer processes on one vault.

DB-only vaults (a `.db` path) against homes with the Markdown vault, where each write also
marks, renders and records the memory's file under the vault lock.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from report import Section
from timing import log, percentile

import memvault

HERE = Path(__file__).parent
WORKER = (sys.executable, str(HERE / "write_worker.py"))
WRITES_PER_PROCESS = 500
# (writer processes, embedder, layout): the bundled model's row has each process's background
# thread embedding the new memories while it writes.
RUNS = (
    (1, "none", "DB-only"),
    (4, "none", "DB-only"),
    (1, "bundled", "DB-only"),
    (1, "none", "Markdown vault"),
    (4, "none", "Markdown vault"),
)


def bench_remember(processes: int, embedder: str, layout: str, folder: Path) -> dict[str, float]:
    name = f"writers-{processes}-{embedder}"
    db = folder / f"{name}.db" if layout == "DB-only" else folder / f"{name}-home"
    return remember_latency(str(db), processes, embedder)


def remember_latency(location: str, processes: int, embedder: str = "none") -> dict[str, float]:
    """``processes`` writer processes on the vault at ``location`` (a ``.db`` file, a home or a
    store URL), each remembering its memories one per call: latency percentiles and writes/s."""
    memvault.open(location, embedder="none").close()
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [*WORKER, location, str(n), str(WRITES_PER_PROCESS), embedder],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    latencies: list[float] = []
    for proc in procs:
        out, _ = proc.communicate()
        assert proc.returncode == 0, f"writer exited with {proc.returncode}"
        latencies.extend(json.loads(out))
    elapsed = time.perf_counter() - start
    with memvault.open(location, embedder="none") as vault:
        assert vault.stats().memories == processes * WRITES_PER_PROCESS
    return {
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "writes_per_s": len(latencies) / elapsed,
    }


def run(folder: Path) -> Section:
    section = Section(
        f"`remember`, one memory per call ({WRITES_PER_PROCESS} per process)",
        ["writer processes", "embedder", "layout", "p50 ms", "p99 ms", "max ms", "writes/s"],
    )
    for n, embedder, layout in RUNS:
        log(f"remember: {n} writer process(es), embedder {embedder}, {layout}")
        r = bench_remember(n, embedder, layout, folder)
        section.add(
            str(n),
            embedder,
            layout,
            f"{r['p50']:.2f}",
            f"{r['p99']:.2f}",
            f"{r['max']:.1f}",
            f"{r['writes_per_s']:.0f}",
        )
    section.notes.append(
        "With `bundled`, the writing process's background thread embeds the new memories "
        "(MiniLM, in batches of 32) while it writes: the writes share the CPU with the model. "
        "With the Markdown vault each write is two commits (the pending mark, then the memory) "
        "plus the memory's file, all under the vault lock."
    )
    return section
