"""Small helpers shared by the benchmarks: percentiles, a stopwatch, progress on stderr."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

_START = time.perf_counter()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def log(message: str) -> None:
    """One progress line on stderr, stamped with the time since the benchmarks started."""
    elapsed = time.perf_counter() - _START
    print(f"[{elapsed // 60:02.0f}:{elapsed % 60:04.1f}] {message}", file=sys.stderr, flush=True)


def timed_ms(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


class Ticker:
    """Calls ``log`` at most every ``every`` seconds: progress for long loops."""

    def __init__(self, label: str, total: int, every: float = 15.0) -> None:
        self.label, self.total, self.every = label, total, every
        self.start = self.last = time.perf_counter()

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            rate = done / max(now - self.start, 1e-9)
            log(f"  {self.label}: {done:,}/{self.total:,} ({rate:,.0f}/s)")
