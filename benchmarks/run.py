"""`make bench`: write and keyword-search latency on this machine, printed and saved.

Speed lives here, never in timed unit tests. Results go to docs/benchmarks.md (overwritten).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))

from corpus import TextMaker

import memvault
from memvault.models import MemoryDraft

HERE = Path(__file__).parent
REPORT = HERE.parent / "docs" / "benchmarks.md"
WRITES_PER_PROCESS = 500
SEARCH_SIZES = (10_000, 100_000)
QUERIES = 300
console = Console()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_remember(processes: int, folder: Path) -> dict[str, float]:
    db = folder / f"writers-{processes}.db"
    memvault.open(db).close()
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(HERE / "write_worker.py"),
                str(db),
                str(n),
                str(WRITES_PER_PROCESS),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    latencies: list[float] = []
    for proc in procs:
        out, _ = proc.communicate()
        latencies.extend(json.loads(out))
    elapsed = time.perf_counter() - start
    with memvault.open(db) as vault:
        assert vault.stats().memories == processes * WRITES_PER_PROCESS
    return {
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "writes_per_s": len(latencies) / elapsed,
    }


def bench_search(size: int, folder: Path) -> dict[str, float]:
    maker = TextMaker()
    db = folder / f"search-{size}.db"
    with memvault.open(db) as vault:
        start = time.perf_counter()
        for _ in range(size // 1000):
            vault.remember_many([MemoryDraft(maker.memory()) for _ in range(1000)])
        insert_rate = size / (time.perf_counter() - start)
        result: dict[str, float] = {
            "insert_per_s": insert_rate,
            "bytes_per_memory": vault.stats().db_bytes / size,
        }
        for label, make in (("content", maker.content_query), ("common", maker.common_query)):
            queries = [make() for _ in range(QUERIES)]
            for q in queries[:20]:  # warm the page cache
                vault.search(q)
            latencies = []
            for q in queries:
                t = time.perf_counter()
                vault.search(q, k=10)
                latencies.append((time.perf_counter() - t) * 1000)
            result[f"{label}_p50"] = percentile(latencies, 0.50)
            result[f"{label}_p95"] = percentile(latencies, 0.95)
    return result


SEARCH_COLUMNS = (
    "memories",
    "batched insert/s",
    "content p50 ms",
    "content p95 ms",
    "common p50 ms",
    "common p95 ms",
    "DB bytes/memory",
)


def search_row(size: int, r: dict[str, float]) -> list[str]:
    return [
        f"{size:,}",
        f"{r['insert_per_s']:,.0f}",
        f"{r['content_p50']:.2f}",
        f"{r['content_p95']:.2f}",
        f"{r['common_p50']:.2f}",
        f"{r['common_p95']:.2f}",
        f"{r['bytes_per_memory']:.0f}",
    ]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="memvault-bench-") as tmp:
        folder = Path(tmp)
        writes = {n: bench_remember(n, folder) for n in (1, 4)}
        searches = {size: bench_search(size, folder) for size in SEARCH_SIZES}

    write_table = Table(title=f"remember, one memory per call ({WRITES_PER_PROCESS}/process)")
    for col in ("writer processes", "p50 ms", "p99 ms", "max ms", "writes/s"):
        write_table.add_column(col, justify="right")
    for n, r in writes.items():
        write_table.add_row(
            str(n),
            f"{r['p50']:.2f}",
            f"{r['p99']:.2f}",
            f"{r['max']:.1f}",
            f"{r['writes_per_s']:.0f}",
        )
    search_table = Table(title=f"keyword search, k=10 ({QUERIES} queries of 2-4 words each)")
    for col in SEARCH_COLUMNS:
        search_table.add_column(col, justify="right")
    for size, r in searches.items():
        search_table.add_row(*search_row(size, r))
    console.print(write_table)
    console.print(search_table)

    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite via apsw. The machine is shared and noisy: trust ratios more than absolutes.",
        "",
        f"## remember, one memory per call ({WRITES_PER_PROCESS} per process)",
        "",
        "| writer processes | p50 ms | p99 ms | max ms | writes/s |",
        "|---:|---:|---:|---:|---:|",
        *(
            f"| {n} | {r['p50']:.2f} | {r['p99']:.2f} | {r['max']:.1f} | {r['writes_per_s']:.0f} |"
            for n, r in writes.items()
        ),
        "",
        f"## keyword search, k=10 ({QUERIES} synthetic queries of 2-4 words per set)",
        "",
        "| " + " | ".join(SEARCH_COLUMNS) + " |",
        "|" + "---:|" * len(SEARCH_COLUMNS),
        *("| " + " | ".join(search_row(size, r)) + " |" for size, r in searches.items()),
        "",
        "Content-word queries use words outside the 200 most frequent (real queries drop",
        "stopwords); common-word queries draw words by corpus frequency, the worst case for an",
        "OR query since FTS5 scores every matching document.",
        "",
        "Synthetic memories: 12-40 Zipf-distributed words from a 20k vocabulary, 8 % code",
        "identifiers (snake_case, camelCase, kebab-case); see `benchmarks/corpus.py`.",
        "",
    ]
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    console.print(f"written to {REPORT}")


if __name__ == "__main__":
    main()
