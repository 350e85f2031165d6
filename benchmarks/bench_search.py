"""Vaults of 10k and 100k memories per vector storage kind: insert and vector-storage throughput,
keyword / vector / hybrid search latency, recall of vector search, bytes per memory.

Each vault is built once and measured in every way before the next one is built. Vectors are
synthetic (``synthetic.py``) and reach the vault through the real path: ``remember_many`` queues
embed jobs, ``wait_for_jobs`` drains them through the worker with ``PrecomputedEmbedder``, whose
``embed_query`` is a dictionary lookup, so search latency excludes query embedding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import apsw
import numpy as np
import synthetic
from synthetic import Corpus, QuerySet
from timing import Ticker, log, percentile

import memvault
from memvault.core.records import MemoryDraft
from memvault.core.vector_records import JobCounts
from memvault.embedding.base import Embedder
from memvault.storage.sqlite.connection import load_vector_extension

STORAGES = ("float32", "int8", "bit")
MODES = ("keyword", "vector", "hybrid")
QUERY_SETS = ("content", "common", "dated")
BATCH = 500
QUERIES = 300
WARMUP = 20
K = 10


@dataclass
class VaultResult:
    storage: str  # "none" (keyword only) or a vector storage kind
    insert_per_s: float
    vectors_per_s: float = 0.0
    first_search_s: float = 0.0  # the first vector search, which loads the in-process index
    snapshot_search_s: float = 0.0  # the same in a new process, from the index snapshot
    latency: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    recall: float = 0.0
    file_bytes: int = 0
    parts: dict[str, int] = field(default_factory=dict)  # bytes by kind of table


@dataclass
class SizeResult:
    size: int
    shape: dict[str, float]
    vaults: list[VaultResult]

    def vault(self, storage: str) -> VaultResult:
        return next(v for v in self.vaults if v.storage == storage)


def run(sizes: tuple[int, ...], folder: Path) -> list[SizeResult]:
    results = []
    for size in sizes:
        log(f"{size:,} memories: generating texts and vectors")
        corpus = synthetic.build(size, QUERIES)
        shape = synthetic.describe(corpus)
        embedder = synthetic.embedder_for(corpus)
        vaults = [_measure(corpus, "none", "none", folder)]
        vaults += [_measure(corpus, storage, embedder, folder) for storage in STORAGES]
        results.append(SizeResult(size, shape, vaults))
    return results


def _measure(corpus: Corpus, storage: str, embedder: str | Embedder, folder: Path) -> VaultResult:
    size = len(corpus.texts)
    db = folder / f"vault-{size}-{storage}.db"
    vectors = storage != "none"
    log(f"{size:,} memories, {storage}: remember_many in batches of {BATCH}")
    vault = memvault.open(
        db, embedder=embedder, vector_storage=storage if vectors else None, background=False
    )
    try:
        rows = insert(vault, corpus.texts)
        result = VaultResult(storage, insert_per_s=size / rows.elapsed)
        if vectors:
            log(f"{size:,} memories, {storage}: wait_for_jobs (vectors through the queue)")
            ticker = Ticker("embed jobs", size)
            start = time.perf_counter()
            counts = vault.wait_for_jobs(progress=lambda c: ticker(settled(c)))
            result.vectors_per_s = size / (time.perf_counter() - start)
            assert counts.done == size and counts.failed == 0, counts
            start = time.perf_counter()
            vault.search(corpus.content.texts[0], k=K, mode="vector")
            result.first_search_s = time.perf_counter() - start
        log(f"{size:,} memories, {storage}: search latency")
        shares: list[float] = []
        sets = {"content": corpus.content, "common": corpus.common, "dated": corpus.dated}
        for name, queries in sets.items():
            for mode in _modes(name, vectors):
                latencies, found = timed_search(vault, queries, mode)
                result.latency[(name, mode)] = (
                    percentile(latencies, 0.50),
                    percentile(latencies, 0.95),
                )
                if mode == "vector":
                    shares += recall_shares(corpus, queries, found, rows.row_of)
        result.recall = float(np.mean(shares)) if shares else 0.0
    finally:
        vault.close()
    if vectors:  # a second process (a new store) starts from the snapshot the first one wrote
        with memvault.open(db, embedder=embedder, background=False) as again:
            start = time.perf_counter()
            again.search(corpus.content.texts[0], k=K, mode="vector")
            result.snapshot_search_s = time.perf_counter() - start
    result.file_bytes = sum(
        p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists()
    )  # the close checkpointed the WAL, so it is empty or gone
    result.parts = _parts(db)
    for suffix in ("", "-wal", "-shm", ".vindex"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return result


def _modes(query_set: str, vectors: bool) -> tuple[str, ...]:
    """The modes a query set is timed in: dated queries exist for hybrid's time window."""
    if query_set == "dated":
        return ("hybrid",) if vectors else ()
    return MODES if vectors else ("keyword",)


@dataclass
class Inserted:
    elapsed: float
    row_of: dict[str, int]  # memory id -> row of the corpus


def insert(vault: memvault.Vault, texts: list[str]) -> Inserted:
    """``texts`` in batches of ``BATCH``."""
    ticker = Ticker("remember_many", len(texts))
    row_of: dict[str, int] = {}
    start = time.perf_counter()
    for first in range(0, len(texts), BATCH):
        batch = texts[first : first + BATCH]
        outcomes = vault.remember_many([MemoryDraft(text) for text in batch])
        for offset, outcome in enumerate(outcomes):
            row_of[outcome.id] = first + offset
        ticker(first + len(batch))
    return Inserted(time.perf_counter() - start, row_of)


def settled(counts: JobCounts) -> int:
    return counts.done + counts.failed


def timed_search(
    vault: memvault.Vault, queries: QuerySet, mode: str
) -> tuple[list[float], list[list[str]]]:
    for text in queries.texts[:WARMUP]:
        vault.search(text, k=K, mode=mode)
    latencies: list[float] = []
    found: list[list[str]] = []
    for text in queries.texts:
        start = time.perf_counter()
        hits = vault.search(text, k=K, mode=mode)
        latencies.append((time.perf_counter() - start) * 1000)
        found.append([hit.memory.id for hit in hits])
    return latencies, found


def recall_shares(
    corpus: Corpus, queries: QuerySet, found: list[list[str]], row_of: dict[str, int]
) -> list[float]:
    """Per query, the share of the exact top-K (brute force, float32) that search found."""
    exact = corpus.exact_top(queries.vectors, K)
    return [
        len({row_of[memory_id] for memory_id in ids} & {int(r) for r in truth}) / K
        for ids, truth in zip(found, exact, strict=True)
    ]


_QUEUE_TABLES = {"jobs", "jobs_by_state", "jobs_by_memory", "jobs_one_open", "vector_log"}


def _parts(db: Path) -> dict[str, int]:
    """Bytes of the file by what they hold (SQLite's dbstat), plus unused pages."""
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        load_vector_extension(conn)
        parts = {"vectors": 0, "queue": 0, "memories": 0}
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            if str(name).startswith("memory_vectors"):
                parts["vectors"] += int(size)
            elif name in _QUEUE_TABLES:
                parts["queue"] += int(size)
            else:
                parts["memories"] += int(size)
        page_size = conn.execute("PRAGMA page_size").fetchone()
        free = conn.execute("PRAGMA freelist_count").fetchone()
        parts["free"] = int(page_size[0]) * int(free[0]) if page_size and free else 0
        return parts
    finally:
        conn.close()
