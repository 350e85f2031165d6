"""memvault next to the stores a user would pick instead, in one process, on the same data.

The systems: memvault (default float32 vectors, DB-only), a plain sqlite-vec + FTS5 store
(``peer_sqlite``), ChromaDB (``peer_chroma``) and the numpy floor (``peer_numpy``). All get the
synthetic corpus of the search tables (``synthetic.py``) and its precomputed 384-d vectors, so
query embedding is left out everywhere.

Inserts run interleaved batch by batch (each batch goes to every store in turn, the order
rotating), so a neighbour's load on the shared machine falls on all of them alike. Queries run in
``ROUNDS`` rounds: each round takes its own slice of the queries and runs every system's batch
of them in turn (the order rotating again); a figure is the median over rounds of that round's
percentile, which one disturbed round cannot move. The sqlite-vec rows time every third query of
each slice (``SLOW``): at 100k one exact KNN query of its costs as much as dozens of the others.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import synthetic
from peer_chroma import ChromaStore
from peer_numpy import NumpyFloor
from peer_sqlite import RRF_K, PlainStore
from synthetic import Corpus, QuerySet
from timing import Ticker, log, percentile

import memvault
from memvault.core.records import MemoryDraft
from memvault.service.fusion import DEFAULT_FUSION

Matrix = npt.NDArray[np.float32]
ROUNDS = 6
BATCH = 500
QUERIES = 300  # per query set; each round times QUERIES / ROUNDS of them
WARMUP = 20
K = 10
DEPTH = DEFAULT_FUSION.depth  # candidates per signal for every hybrid, memvault's own
SETS = ("content", "common")

MEMVAULT, PLAIN, CHROMA = "memvault", "sqlite-vec + FTS5", "ChromaDB"
# query tasks: (label, mode)
TASKS = (
    ("memvault", "keyword"),
    ("FTS5", "keyword"),
    ("memvault", "vector"),
    ("ChromaDB", "vector"),
    ("vec0", "vector"),
    ("numpy exact", "vector"),
    ("numpy 1-bit", "vector"),
    ("memvault", "hybrid"),
    ("FTS5 + vec0 RRF", "hybrid"),
    ("FTS5 + numpy 1-bit RRF", "hybrid"),
)

Search = Callable[[str, Matrix], list[int]]  # (query text, query vector) -> corpus rows
# sqlite-vec's exact KNN costs 10-100x the others at 100k: its tasks time every third query
SLOW = {("vec0", "vector"): 3, ("FTS5 + vec0 RRF", "hybrid"): 3}


@dataclass
class PeerResult:
    size: int
    insert_per_s: dict[str, float] = field(default_factory=dict)
    first_search_s: dict[str, float] = field(default_factory=dict)
    # (label, mode, query set) -> (p50, p95) in ms, medians over rounds
    latency: dict[tuple[str, str, str], tuple[float, float]] = field(default_factory=dict)
    recall: dict[str, float] = field(default_factory=dict)  # vector tasks by label
    file_bytes: dict[str, int] = field(default_factory=dict)

    def p50(self, label: str, mode: str, query_set: str) -> float:
        return self.latency[(label, mode, query_set)][0]


@dataclass
class _Stores:
    vault: memvault.Vault
    plain: PlainStore
    chroma: ChromaStore
    floor: NumpyFloor
    row_of: dict[str, int] = field(default_factory=dict)  # memvault id -> corpus row


def run(sizes: tuple[int, ...], folder: Path) -> list[PeerResult]:
    return [_run_size(size, folder) for size in sizes]


def _run_size(size: int, folder: Path) -> PeerResult:
    log(f"peers, {size:,} memories: generating texts and vectors")
    corpus = synthetic.build(size, QUERIES)
    result = PeerResult(size)
    where = folder / f"peers-{size}"
    where.mkdir()
    embedder = synthetic.embedder_for(corpus)
    stores = _Stores(
        memvault.open(where / "memvault.db", embedder=embedder, background=False),
        PlainStore(where / "plain.db", corpus.vectors.shape[1]),
        ChromaStore(where / "chroma"),
        NumpyFloor(corpus.vectors),
    )
    try:
        _insert(corpus, stores, result)
        assert stores.chroma.count() == size
        _first_searches(corpus, stores, result)
        _query_rounds(corpus, _tasks(stores), result)
    finally:
        stores.vault.close()
        stores.plain.close()
        stores.chroma.close()
    db = where / "memvault.db"
    result.file_bytes = {
        MEMVAULT: sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists()),
        "memvault snapshot": Path(f"{db}.vindex").stat().st_size
        if Path(f"{db}.vindex").exists()
        else 0,
        PLAIN: stores.plain.file_bytes(),
        CHROMA: stores.chroma.file_bytes(),
    }
    shutil.rmtree(where, ignore_errors=True)
    return result


def _insert(corpus: Corpus, stores: _Stores, result: PeerResult) -> None:
    """Every batch to every store in turn; memvault's counts writing the memories and storing
    their vectors (its embed jobs drained in the foreground, precomputed vectors)."""
    size = len(corpus.texts)
    log(f"peers, {size:,}: inserting in batches of {BATCH}, interleaved")
    spent = {MEMVAULT: 0.0, PLAIN: 0.0, CHROMA: 0.0}
    ticker = Ticker("interleaved insert", size)

    def into_memvault(first: int, texts: list[str], _vectors: Matrix) -> None:
        outcomes = stores.vault.remember_many([MemoryDraft(text) for text in texts])
        counts = stores.vault.wait_for_jobs()
        assert counts.failed == 0, counts
        for offset, outcome in enumerate(outcomes):
            stores.row_of[outcome.id] = first + offset

    inserts: list[tuple[str, Callable[[int, list[str], Matrix], None]]] = [
        (MEMVAULT, into_memvault),
        (PLAIN, stores.plain.insert),
        (CHROMA, stores.chroma.insert),
    ]
    for number, first in enumerate(range(0, size, BATCH)):
        texts = corpus.texts[first : first + BATCH]
        vectors = corpus.vectors[first : first + BATCH]
        turn = number % len(inserts)
        for name, insert in inserts[turn:] + inserts[:turn]:
            start = time.perf_counter()
            insert(first, texts, vectors)
            spent[name] += time.perf_counter() - start
        ticker(first + len(texts))
    result.insert_per_s = {name: size / seconds for name, seconds in spent.items()}


def _first_searches(corpus: Corpus, stores: _Stores, result: PeerResult) -> None:
    """The first vector query after the build: memvault loads its index (and writes its
    snapshot) here; Chroma may load its HNSW segment."""
    vector = corpus.content.vectors[0]
    text = corpus.content.texts[0]
    for name, search in (
        (MEMVAULT, lambda: stores.vault.search(text, k=K, mode="vector")),
        (CHROMA, lambda: stores.chroma.vector(vector, K)),
        (PLAIN, lambda: stores.plain.vector(vector, K)),
    ):
        start = time.perf_counter()
        search()
        result.first_search_s[name] = time.perf_counter() - start


def _tasks(stores: _Stores) -> dict[tuple[str, str], Search]:
    vault, plain, chroma, floor, row_of = (
        stores.vault,
        stores.plain,
        stores.chroma,
        stores.floor,
        stores.row_of,
    )

    def memvault_search(mode: str) -> Search:
        def search(text: str, _vector: Matrix) -> list[int]:
            return [row_of[hit.memory.id] for hit in vault.search(text, k=K, mode=mode)]

        return search

    def floor_hybrid(text: str, vector: Matrix) -> list[int]:
        score: dict[int, float] = {}
        ids = [int(r) + 1 for r in floor.one_bit(vector, DEPTH)]
        for ranked in (plain.keyword_ids(text, DEPTH), ids):
            for rank, i in enumerate(ranked, start=1):
                score[i] = score.get(i, 0.0) + 1.0 / (RRF_K + rank)
        best = sorted(score, key=lambda i: -score[i])[:K]
        return [row for row, _text in plain.hydrate(best)]

    searches: dict[tuple[str, str], Search] = {
        ("memvault", "keyword"): memvault_search("keyword"),
        ("FTS5", "keyword"): lambda t, _v: [r for r, _ in plain.keyword(t, K)],
        ("memvault", "vector"): memvault_search("vector"),
        ("ChromaDB", "vector"): lambda _t, v: [r for r, _ in chroma.vector(v, K)],
        ("vec0", "vector"): lambda _t, v: [r for r, _ in plain.vector(v, K)],
        ("numpy exact", "vector"): lambda _t, v: floor.exact(v, K).tolist(),
        ("numpy 1-bit", "vector"): lambda _t, v: floor.one_bit(v, K).tolist(),
        ("memvault", "hybrid"): memvault_search("hybrid"),
        ("FTS5 + vec0 RRF", "hybrid"): lambda t, v: [r for r, _ in plain.hybrid(t, v, K, DEPTH)],
        ("FTS5 + numpy 1-bit RRF", "hybrid"): floor_hybrid,
    }
    assert set(searches) == set(TASKS)
    return searches


def _query_rounds(
    corpus: Corpus, searches: dict[tuple[str, str], Search], result: PeerResult
) -> None:
    size = len(corpus.texts)
    sets = {"content": corpus.content, "common": corpus.common}
    log(f"peers, {size:,}: warm-up, then {ROUNDS} interleaved query rounds")
    for search in searches.values():
        for i in range(WARMUP):
            search(corpus.content.texts[i], corpus.content.vectors[i])
    rounds: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    found: dict[tuple[str, str, str], dict[int, list[int]]] = {}
    order = list(TASKS)
    per_round = QUERIES // ROUNDS
    for number in range(ROUNDS):
        turn = number % len(order)
        chosen = range(number * per_round, (number + 1) * per_round)
        for task in order[turn:] + order[:turn]:
            for name, queries in sets.items():
                key = (*task, name)
                step = SLOW.get(task, 1)
                latencies, rows = _time_batch(searches[task], queries, chosen[::step])
                rounds.setdefault(key, []).append(
                    (percentile(latencies, 0.50), percentile(latencies, 0.95))
                )
                found.setdefault(key, {}).update(rows)
        log(f"  round {number + 1}/{ROUNDS} done")
    for key, figures in rounds.items():
        result.latency[key] = (
            statistics.median(p50 for p50, _ in figures),
            statistics.median(p95 for _, p95 in figures),
        )
    for label, mode in TASKS:
        if mode == "vector":
            result.recall[label] = _recall(corpus, found, label)
    # the exact searches agree with the truth, or a store's rows are mapped wrongly
    assert result.recall["numpy exact"] > 0.99 and result.recall["vec0"] > 0.99, result.recall


def _time_batch(
    search: Search, queries: QuerySet, chosen: range
) -> tuple[list[float], dict[int, list[int]]]:
    latencies: list[float] = []
    rows: dict[int, list[int]] = {}
    for i in chosen:
        text, vector = queries.texts[i], queries.vectors[i]
        start = time.perf_counter()
        rows[i] = search(text, vector)
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies, rows


def _recall(
    corpus: Corpus, found: dict[tuple[str, str, str], dict[int, list[int]]], label: str
) -> float:
    """The share of each query's exact top K (float32 brute force) that the system returned,
    over both query sets."""
    shares: list[float] = []
    for name, queries in (("content", corpus.content), ("common", corpus.common)):
        rows = found[(label, "vector", name)]
        chosen = sorted(rows)
        exact = corpus.exact_top(queries.vectors[chosen], K)
        shares += [
            len(set(rows[i]) & {int(r) for r in truth}) / K
            for i, truth in zip(chosen, exact, strict=True)
        ]
    return float(np.mean(shares))
