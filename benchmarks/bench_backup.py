"""Online backup at 100k memories while 4 writer processes run: how long, how many MB/s, and
what it does to the writers' p99 (goal: at most 2x their p99 without a backup).

Each layout is measured twice with the same 4 writers: a window without a backup, then a window
with one backup; the writers' p99 "during" counts only the writes that started while the
backup ran. In the Markdown vault, writes wait while the folder is copied under its lock (see
docs/operations.md); DB-only vaults never wait.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from corpus import TextMaker
from report import Section
from timing import log, percentile

import memvault
from memvault.core.records import MemoryDraft

HERE = Path(__file__).parent
WRITER = (sys.executable, str(HERE / "backup_writer.py"))
WRITERS = 4
BASELINE_S = 6.0
LAYOUTS = (("DB-only", 100_000), ("Markdown vault", 20_000))


@dataclass(frozen=True)
class BackupRun:
    layout: str
    memories: int
    db_mb: float
    backup_s: float
    p99_without: float
    p99_during: float
    writes_during: int


def run(folder: Path) -> list[Section]:
    runs = [measure(layout, size, folder) for layout, size in LAYOUTS]
    section = Section(
        f"Online backup with {WRITERS} writer processes running",
        [
            "layout",
            "memories",
            "DB MB",
            "backup s",
            "MB/s",
            "writer p99 ms (no backup)",
            "writer p99 ms (during)",
            "ratio",
            "writes during",
        ],
    )
    for r in runs:
        section.add(
            r.layout,
            f"{r.memories:,}",
            f"{r.db_mb:,.1f}",
            f"{r.backup_s:.2f}",
            f"{r.db_mb / r.backup_s:,.0f}",
            f"{r.p99_without:.1f}",
            f"{r.p99_during:.1f}",
            f"{r.p99_during / r.p99_without:.2f}x",
            f"{r.writes_during:,}",
        )
    section.notes.append(
        "`memvault backup` (vault.backup) of a vault of that size, embedder none, while 4 "
        "processes remember one memory per call as fast as they can. The backup copies the "
        "database from one read transaction (SQLite's backup API, 4 MiB steps), so the writers "
        "go on; in the Markdown vault the folder copy holds the folder lock, and writes wait "
        "for it. Goal: writer p99 during the backup at most 2x the p99 without it."
    )
    return [section]


def measure(layout: str, size: int, folder: Path) -> BackupRun:
    name = layout.replace(" ", "-").lower()
    location = folder / (f"backup-{name}.db" if layout == "DB-only" else f"backup-{name}-home")
    log(f"backup bench: building {layout} at {size:,}")
    maker = TextMaker(seed=77)
    with memvault.open(location, embedder="none", background=False) as vault:
        for _ in range(0, size, 1000):
            vault.remember_many([MemoryDraft(maker.memory()) for _ in range(1000)])
        db_mb = vault.stats().db_bytes / 1e6
    without = _writers(location, folder / f"{name}-plain", backup_to=None)
    during = _writers(location, folder / f"{name}-backed", backup_to=folder / f"{name}-backups")
    assert during.window is not None
    begin, end = during.window
    inside = [ms for at, ms in during.writes if begin <= at <= end]
    log(f"backup bench: {layout} backup {end - begin:.2f} s, {len(inside)} writes during it")
    return BackupRun(
        layout,
        size,
        db_mb,
        end - begin,
        percentile([ms for _, ms in without.writes], 0.99),
        percentile(inside, 0.99) if inside else 0.0,
        len(inside),
    )


@dataclass(frozen=True)
class Window:
    writes: list[tuple[float, float]]
    window: tuple[float, float] | None


def _writers(location: Path, stop: Path, *, backup_to: Path | None) -> Window:
    procs = [
        subprocess.Popen([*WRITER, str(location), str(n), str(stop)], stdout=subprocess.PIPE)
        for n in range(WRITERS)
    ]
    window = None
    try:
        time.sleep(2.0)  # the writers are up and writing
        if backup_to is None:
            time.sleep(BASELINE_S)
        else:
            with memvault.open(location, embedder="none", background=False) as vault:
                begin = time.time()
                vault.backup(backup_to)
                window = (begin, time.time())
            time.sleep(1.0)
    finally:
        stop.touch()
    writes: list[tuple[float, float]] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        writes += [(float(at), float(ms)) for at, ms in json.loads(out)]
    return Window(writes, window)
