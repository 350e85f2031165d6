"""SQLite next to PostgreSQL on the same data: batched insert with vectors, keyword / vector /
hybrid search latency, vector recall, and ``remember`` with several writer processes.

The same vault code over either engine, so the difference is the engine's: a SQLite file (apsw,
sqlite-vec, the in-process vector index) against a PostgreSQL schema (psycopg, tsvector,
pgvector's HNSW) on the server at ``MEMVAULT_BENCH_POSTGRES_URL`` (by default the local test
server). Vectors are synthetic and precomputed (``synthetic.embedder_for``), so neither side
pays for a model and query embedding is excluded. Each PostgreSQL vault is a schema of its own,
dropped afterwards (``memvault.storage.discard_store``).
"""

from __future__ import annotations

import math
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import bench_search
import bench_writes
import numpy as np
import synthetic
from bench_search import BATCH, QUERIES, K
from report import Section
from synthetic import Corpus
from timing import Ticker, log, percentile

import memvault
from memvault.core.vector_records import JobCounts
from memvault.embedding.base import Embedder
from memvault.storage import discard_store

SERVER_URL = os.environ.get(
    "MEMVAULT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
ENGINES = ("SQLite", "PostgreSQL")
MODES = ("keyword", "vector", "hybrid")
QUERY_SETS = ("content", "common")
STORAGE = "float32"
WRITERS = (1, 4)


@dataclass
class EngineResult:
    engine: str
    insert_per_s: float = 0.0
    vectors_per_s: float = 0.0
    first_search_s: float = 0.0
    latency: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    recall: float = 0.0


@dataclass
class SizeResult:
    size: int
    engines: dict[str, EngineResult]


@contextmanager
def location(engine: str, folder: Path, name: str) -> Iterator[str]:
    """Where an engine's vault lives for one measurement, removed afterwards: a file in the
    benchmark's folder, or a fresh schema on the server."""
    if engine == "SQLite":
        db = folder / f"{name}.db"
        try:
            yield str(db)
        finally:
            for suffix in ("", "-wal", "-shm", ".vindex"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        return
    where = f"{SERVER_URL}?schema=bench_{uuid.uuid4().hex[:12]}"
    try:
        yield where
    finally:
        discard_store(where)


def run(sizes: tuple[int, ...], folder: Path) -> list[Section]:
    results = []
    for size in sizes:
        log(f"PostgreSQL vs SQLite, {size:,} memories: generating texts and vectors")
        corpus = synthetic.build(size, QUERIES)
        embedder = synthetic.embedder_for(corpus)
        engines = {}
        for engine in ENGINES:
            with location(engine, folder, f"engines-{size}") as where:
                engines[engine] = _measure(engine, where, corpus, embedder)
        results.append(SizeResult(size, engines))
    writes: dict[int, dict[str, dict[str, float]]] = {}
    for processes in WRITERS:
        writes[processes] = {}
        for engine in ENGINES:
            log(f"remember: {processes} writer process(es) on {engine}")
            with location(engine, folder, f"engines-writers-{processes}") as where:
                memvault.open(where, embedder="none").close()  # the schema, before the writers
                writes[processes][engine] = bench_writes.remember_latency(where, processes)
    return [
        insert_section(results),
        search_section(results),
        recall_section(results),
        writes_section(writes),
    ]


def _measure(engine: str, where: str, corpus: Corpus, embedder: Embedder) -> EngineResult:
    size = len(corpus.texts)
    result = EngineResult(engine)
    log(f"{size:,} memories on {engine}: remember_many in batches of {BATCH}")
    with memvault.open(where, embedder=embedder, vector_storage=STORAGE, background=False) as vault:
        rows = bench_search.insert(vault, corpus.texts)
        result.insert_per_s = size / rows.elapsed
        log(f"{size:,} memories on {engine}: wait_for_jobs (vectors through the queue)")
        ticker = Ticker("embed jobs", size)
        start = time.perf_counter()

        def progress(counts: JobCounts) -> None:
            ticker(bench_search.settled(counts))

        counts = vault.wait_for_jobs(progress=progress)
        result.vectors_per_s = size / (time.perf_counter() - start)
        assert counts.done == size and counts.failed == 0, counts
        start = time.perf_counter()
        vault.search(corpus.content.texts[0], k=K, mode="vector")
        result.first_search_s = time.perf_counter() - start
        shares: list[float] = []
        for name, queries in (("content", corpus.content), ("common", corpus.common)):
            for mode in MODES:
                log(f"{size:,} memories on {engine}: {name} queries, {mode}")
                latencies, found = bench_search.timed_search(vault, queries, mode)
                result.latency[(name, mode)] = (
                    percentile(latencies, 0.50),
                    percentile(latencies, 0.95),
                )
                if mode == "vector":
                    shares += bench_search.recall_shares(corpus, queries, found, rows.row_of)
        result.recall = float(np.mean(shares))
    return result


def _cells(sqlite: float, postgres: float, fmt: str) -> list[str]:
    """The SQLite | PostgreSQL | ratio cells of one figure (ratio: PostgreSQL / SQLite)."""
    ratio = postgres / sqlite if sqlite else math.nan
    return [format(sqlite, fmt), format(postgres, fmt), f"{ratio:.2f}"]


def _pair(result: SizeResult, value: Callable[[EngineResult], float]) -> tuple[float, float]:
    return value(result.engines["SQLite"]), value(result.engines["PostgreSQL"])


RATIO_NOTE = "`ratio`: PostgreSQL ÷ SQLite (above 1: PostgreSQL takes longer, or does more)."
SERVER_NOTE = (
    "PostgreSQL is the local server (15, pgvector 0.8, Debian's settings: 128 MB "
    "shared_buffers, fsync on) on the same 2-CPU machine, reached over TCP on 127.0.0.1: "
    "no network in between, but every call is a round trip and the server competes with the "
    "benchmark for the CPUs. That server runs with autovacuum off: the engine ANALYZEs the "
    "tables a writing process grew past autovacuum's threshold itself (50 rows + 10 %, on a "
    "thread, `storage/postgres/engine.py`), so what is measured is what a user gets either "
    "way."
)


def insert_section(results: list[SizeResult]) -> Section:
    section = Section(
        f"PostgreSQL: batched insert with vectors (remember_many, {BATCH} per call), memories/s",
        ["memories", "step", "SQLite", "PostgreSQL", "ratio"],
    )
    for r in results:
        rows: list[tuple[str, Callable[[EngineResult], float]]] = [
            ("remember_many", lambda e: e.insert_per_s),
            ("wait_for_jobs", lambda e: e.vectors_per_s),
            ("together", lambda e: 1 / (1 / e.insert_per_s + 1 / e.vectors_per_s)),
        ]
        for step, value in rows:
            section.add(f"{r.size:,}", step, *_cells(*_pair(r, value), ",.0f"))
    section.notes += [
        "`remember_many`: the memories written (with their keyword rows and embed jobs) in "
        f"batches of {BATCH}; `wait_for_jobs`: the jobs drained in the foreground by the real "
        f"worker with precomputed {synthetic.DIMENSIONS}-d vectors ({STORAGE}), which on "
        "PostgreSQL includes growing the HNSW index row by row, on SQLite writing sqlite-vec's "
        "rows and the vector log.",
        RATIO_NOTE,
        SERVER_NOTE,
    ]
    return section


def search_section(results: list[SizeResult]) -> Section:
    section = Section(
        f"PostgreSQL: search latency in ms, k={K}, query embedding excluded",
        ["memories", "queries", "mode", "percentile", "SQLite", "PostgreSQL", "ratio"],
    )
    for r in results:
        for name in QUERY_SETS:
            for mode in MODES:
                for index, label in enumerate(("p50", "p95")):
                    pair = _pair(r, lambda e: e.latency[(name, mode)][index])  # noqa: B023
                    section.add(f"{r.size:,}", name, mode, label, *_cells(*pair, ".2f"))
    section.notes += [
        f"{QUERIES} queries per set after {bench_search.WARMUP} warm-up calls, as in the "
        "search table above (the same synthetic data and query sets). On PostgreSQL keyword "
        "search is a GIN index over tsvector rows with FTS5's BM25 computed in SQL "
        "(`storage/postgres/keyword.py`), vector search pgvector's HNSW index with iterative "
        "scan.",
        RATIO_NOTE,
    ]
    return section


def recall_section(results: list[SizeResult]) -> Section:
    section = Section(
        f"PostgreSQL: vector recall@{K} against exact search",
        ["memories", "figure", "SQLite", "PostgreSQL", "ratio"],
    )
    for r in results:
        section.add(f"{r.size:,}", f"recall@{K}", *_cells(*_pair(r, lambda e: e.recall), ".3f"))
        pair = _pair(r, lambda e: e.first_search_s)
        section.add(f"{r.size:,}", "first vector search s", *_cells(*pair, ".3f"))
    section.notes += [
        f"Recall: the share of each query's exact top {K} (numpy, float32) that "
        f"`search(mode='vector', k={K})` returned, over both query sets ({2 * QUERIES} "
        "queries). First vector search: right after the vectors were stored; SQLite builds its "
        "in-process index then, PostgreSQL's HNSW index was built as the rows went in. That "
        "index has pgvector's defaults (m = 16, ef_construction = 64) and is searched with "
        "ef_search = max(2k, 100) and iterative scan (`storage/postgres/vector_search.py`).",
        RATIO_NOTE,
    ]
    return section


def writes_section(writes: dict[int, dict[str, dict[str, float]]]) -> Section:
    section = Section(
        f"PostgreSQL: `remember`, one memory per call ({bench_writes.WRITES_PER_PROCESS} per "
        "process), DB-only",
        ["writer processes", "figure", "SQLite", "PostgreSQL", "ratio"],
    )
    for processes, engines in writes.items():
        for figure, fmt in (("p50", ".2f"), ("p99", ".2f"), ("max", ".1f")):
            pair = engines["SQLite"][figure], engines["PostgreSQL"][figure]
            section.add(str(processes), f"{figure} ms", *_cells(*pair, fmt))
        pair = engines["SQLite"]["writes_per_s"], engines["PostgreSQL"]["writes_per_s"]
        section.add(str(processes), "writes/s", *_cells(*pair, ",.0f"))
    section.notes += [
        "Each writer is its own process (`benchmarks/write_worker.py`) with its own "
        "connection(s), embedder `none`: on SQLite they queue for the file's one write lock, on "
        "PostgreSQL they write concurrently under row locks. writes/s: all writes over the "
        "wall time of the run, process start-up included.",
        RATIO_NOTE,
    ]
    return section
