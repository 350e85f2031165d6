"""The session layer: message log latency, message search and context pack latency.

Log latency: ``vault.sessions.log`` with one message per call, 1 and 4 processes (each its own
session of one vault), DB-only and Markdown-folder homes, as ``bench_writes`` does for
``remember``. Search and the context pack: one vault of 100k memories and 100k messages
(``session_vault.py``), measured with the query's vector taken from a dictionary.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import session_vault
from report import Section
from session_vault import MEMORIES, MESSAGES, PROJECTS, SESSIONS, SessionVault
from synthetic import QuerySet
from timing import log, percentile

import memvault
from memvault.core.records import SearchMode
from memvault.service.pack_records import ContextPack

HERE = Path(__file__).parent
WORKER = (sys.executable, str(HERE / "session_worker.py"))
LOGS_PER_PROCESS = 500
EDGE = 50  # the first and last logs of a session compared
RUNS = ((1, "DB-only"), (4, "DB-only"), (1, "Markdown vault"), (4, "Markdown vault"))
MODES = (SearchMode.KEYWORD, SearchMode.HYBRID)
WARMUP = 5
CAP_S = 6.0  # seconds of timed calls per table cell, once MIN_CALLS are timed
MIN_CALLS = 30
K = 10
BUDGET = 2_000
GOAL_MS = 50.0  # the goal for the context pack's p95
GOAL = f"p95 ≤ {GOAL_MS:.0f} ms"
EDGE_COLUMNS = (f"first {EDGE} p50 ms", f"last {EDGE} p50 ms")
T = TypeVar("T")


def run(folder: Path) -> list[Section]:
    sections = [log_section(folder)]
    built = session_vault.build(folder)
    try:
        sections += [search_section(built), context_section(built)]
    finally:
        built.close()
    return sections


# --- message log latency ---------------------------------------------------------------------
def bench_log(processes: int, layout: str, folder: Path) -> dict[str, float]:
    name = f"log-{processes}"
    home = folder / f"{name}.db" if layout == "DB-only" else folder / f"{name}-home"
    memvault.open(home, embedder="none").close()
    procs = [
        subprocess.Popen(
            [*WORKER, str(home), str(n), str(LOGS_PER_PROCESS)], stdout=subprocess.PIPE, text=True
        )
        for n in range(processes)
    ]
    runs: list[list[float]] = []
    began, ended = math.inf, 0.0
    for proc in procs:
        out, _ = proc.communicate()
        assert proc.returncode == 0, f"session worker failed ({proc.returncode})"
        report = json.loads(out)
        runs.append(report["latencies"])
        began, ended = min(began, report["began"]), max(ended, report["ended"])
    elapsed = ended - began
    latencies = [ms for one in runs for ms in one]
    with memvault.open(home, embedder="none") as vault:
        sessions = vault.sessions.list()
        assert len(sessions) == processes, sessions
        assert all(len(vault.sessions.messages(s.id)) == LOGS_PER_PROCESS for s in sessions)
    files = list(home.glob("vault/sessions/*/*.md")) if layout != "DB-only" else []
    return {
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "per_s": len(latencies) / elapsed,
        "first": statistics.median(ms for one in runs for ms in one[:EDGE]),
        "last": statistics.median(ms for one in runs for ms in one[-EDGE:]),
        "file_kb": statistics.mean(f.stat().st_size for f in files) / 1024 if files else 0.0,
    }


def log_section(folder: Path) -> Section:
    section = Section(
        f"`sessions.log`, one message per call ({LOGS_PER_PROCESS} per process)",
        ["processes", "layout", "p50 ms", "p99 ms", "max ms", "messages/s", *EDGE_COLUMNS],
    )
    file_kb = 0.0
    for n, layout in RUNS:
        log(f"sessions.log: {n} process(es), {layout}")
        r = bench_log(n, layout, folder)
        file_kb = max(file_kb, r["file_kb"])
        section.add(
            str(n),
            layout,
            f"{r['p50']:.2f}",
            f"{r['p99']:.2f}",
            f"{r['max']:.1f}",
            f"{r['per_s']:.0f}",
            f"{r['first']:.2f}",
            f"{r['last']:.2f}",
        )
    section.notes.append(
        "Each process starts its own session of the one vault and logs one message per call "
        "(12-40 words, user and assistant in turn, tokens counted with the bundled tokenizer), "
        "embedding off. `messages/s`: all logs over the time from the first log's start to "
        "the last one's end (process start left out, unlike the `remember` table's writes/s). "
        f"`first`/`last`: the median of each session's first and last {EDGE} logs. In a "
        "Markdown vault every log also re-renders the whole session file "
        "(`sessions/<project>/<id>.md`) under the folder lock, one lock for all sessions of "
        "the vault: a log costs more as its session grows (the whole transcript is read from "
        f"the index, rendered and written again: {file_kb:,.0f} KB at {LOGS_PER_PROCESS} "
        "messages), and the processes wait for each other's files. Agents that log in batches "
        "pay that once per batch."
    )
    return section


# --- message search --------------------------------------------------------------------------
def _timed(calls: Sequence[Callable[[], T]]) -> tuple[list[float], list[T]]:
    """Latencies (ms) of the calls after warm-up ones, stopping after ``CAP_S`` seconds (but
    not before ``MIN_CALLS``): a slow path must not stretch the run, and the table says how
    many calls were timed."""
    for call in calls[:WARMUP]:
        call()
    latencies: list[float] = []
    results: list[T] = []
    began = time.perf_counter()
    for call in calls:
        start = time.perf_counter()
        results.append(call())
        end = time.perf_counter()
        latencies.append((end - start) * 1000)
        if len(latencies) >= MIN_CALLS and end - began > CAP_S:
            break
    return latencies, results


def search_section(built: SessionVault) -> Section:
    columns = ["messages", "scope", "queries", "calls"]
    columns += [f"{mode.value} {q}" for mode in MODES for q in ("p50", "p95")]
    section = Section(
        f"Message search latency in ms (`sessions.search`, k={K}), query embedding excluded",
        columns,
    )
    vault = built.vault
    sets = (("content", built.message_queries), ("common", _first(built.corpus.common)))
    for scope in ("all", "project"):
        for name, queries in sets:
            log(f"message search: {scope}, {name} queries")
            cells: list[str] = []
            calls: list[str] = []
            for mode in MODES:
                latencies, _ = _timed(
                    [
                        _search_call(vault, text, _project(queries, i, scope), mode)
                        for i, text in enumerate(queries.texts)
                    ]
                )
                calls.append(str(len(latencies)))
                cells += [f"{percentile(latencies, 0.5):.2f}", f"{percentile(latencies, 0.95):.2f}"]
            section.add(f"{MESSAGES:,}", scope, name, "/".join(calls), *cells)
    stats = built.stats
    section.notes.append(
        f"One vault of {MESSAGES:,} messages ({SESSIONS} sessions of "
        f"{MESSAGES // SESSIONS:,} in {len(PROJECTS)} projects) and {MEMORIES:,} memories, "
        "vectors on (float32, the default) through the real embed queue with precomputed "
        "vectors: the synthetic corpus of the search tables, at 200k. `sessions.search` looks "
        "at messages only; `project` restricts it to the project of the query's target. "
        f"Content queries are aimed at messages; common-word queries are the keyword worst "
        f"case. Each cell times up to {session_vault.QUERIES} calls after {WARMUP} warm-up "
        f"calls, stopping after {CAP_S:.0f} s once {MIN_CALLS} are timed (`calls`: keyword/"
        f"hybrid). Building it: `sessions.log` in batches of {session_vault.BATCH:,} took "
        f"{stats['log_s']:.1f} s ({MESSAGES / stats['log_s']:,.0f} messages/s, tokens "
        f"counted), `remember_many` {stats['remember_s']:.1f} s "
        f"({MEMORIES / stats['remember_s']:,.0f}/s), storing all "
        f"{MESSAGES + MEMORIES:,} vectors {stats['vectors_s']:.1f} s and the first vector "
        f"search (loading the index) {stats['index_load_s']:.1f} s."
    )
    return section


def _first(queries: QuerySet) -> QuerySet:
    n = session_vault.QUERIES
    return QuerySet(queries.texts[:n], queries.vectors[:n], queries.targets[:n])


def _project(queries: QuerySet, i: int, scope: str) -> str | None:
    if scope == "all":
        return None
    target = queries.targets[i]
    return session_vault.message_project(target) if target < MESSAGES else PROJECTS[i % 4]


def _search_call(
    vault: memvault.Vault, text: str, project: str | None, mode: SearchMode
) -> Callable[[], object]:
    return lambda: vault.sessions.search(text, project=project, k=K, mode=mode)


# --- context pack ----------------------------------------------------------------------------
def context_section(built: SessionVault) -> Section:
    section = Section(
        f"Context pack latency in ms (`vault.context`, budget {BUDGET:,})",
        ["memories + messages", "query", "calls", "p50", "p95", "max", "tokens", "items", GOAL],
    )
    vault = built.vault
    content = _first(built.corpus.content)
    common = _first(built.corpus.common)
    plans: tuple[tuple[str, list[tuple[str, str | None]]], ...] = (
        ("none", [(PROJECTS[i % 4], None) for i in range(session_vault.QUERIES)]),
        ("content", [(built.query_project[i], t) for i, t in enumerate(content.texts)]),
        ("common", [(PROJECTS[i % 4], t) for i, t in enumerate(common.texts)]),
    )
    for name, plan in plans:
        log(f"context pack: query {name}")
        latencies, packs = _timed([_pack_call(vault, p, q) for p, q in plan])
        p95 = percentile(latencies, 0.95)
        section.add(
            f"{MEMORIES:,} + {MESSAGES:,}",
            name,
            str(len(latencies)),
            f"{percentile(latencies, 0.5):.1f}",
            f"{p95:.1f}",
            f"{max(latencies):.1f}",
            f"{statistics.mean(p.tokens for p in packs):,.0f}",
            f"{statistics.mean(len(p.items) for p in packs):.1f}",
            "yes" if p95 <= GOAL_MS else "no",
        )
    section.notes.append(
        f"`vault.context(project=P, query=Q, budget={BUDGET})` on the vault above, P one of its "
        f"{len(PROJECTS)} projects (for content queries, the project of the query's target), "
        f"timed like the searches above. It gathers the project's latest handoffs, "
        "preferences, pinned and important memories, recent decisions and lessons and, with a "
        "query, the best hybrid hits among memories and messages, then fills the budget "
        "counting tokens with the bundled tokenizer. The query's vector comes from a "
        "dictionary, so query embedding (about 4 ms with the bundled model, see the "
        "query-embedding table) is not in these numbers. `tokens` and `items`: the mean pack. "
        f"The goal is a p95 of at most {GOAL_MS:.0f} ms."
    )
    return section


def _pack_call(vault: memvault.Vault, project: str, query: str | None) -> Callable[[], ContextPack]:
    return lambda: vault.context(project=project, query=query, budget=BUDGET)
