"""CPU cost of the two hot paths issue 16 names: a batched insert with vectors, and keyword search.

``python benchmarks/bench_cpu.py 10000`` prints the insert's CPU microseconds per memory
(``time.process_time``: this process only, so a busy shared machine skews it less than wall
time), split into ``remember_many`` and the drain of the embed jobs, then keyword p50/p95 for
content and common-word queries. ``--profile`` adds a cProfile of the insert and of the searches
(top functions by own time), which is how the costs fixed in issue 16 were found.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import pstats
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import apsw
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import synthetic
from timing import percentile

import memvault
from memvault.core.records import MemoryDraft
from memvault.storage.sqlite.connection import load_vector_extension
from memvault.storage.sqlite.writer import Writer

BATCH = 500
QUERIES = 300
K = 10


class _Profiles:
    """cProfile of the calling thread and of the vault's writer thread (where inserts run)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.writer = cProfile.Profile()
        if enabled:
            commit = Writer._commit_group

            def profiled(writer: Writer, group: list[Any]) -> None:
                profiler = self.writer
                profiler.enable()
                try:
                    commit(writer, group)
                finally:
                    profiler.disable()

            setattr(Writer, "_commit_group", profiled)  # noqa: B010 (a profiling hook)

    def measure(self, action: Callable[[], object], label: str) -> float:
        """CPU seconds of ``action``; when profiling, its top functions in both threads."""
        caller = cProfile.Profile()
        start = time.process_time()
        if self.enabled:
            caller.enable()
        action()
        if self.enabled:
            caller.disable()
        spent = time.process_time() - start
        if self.enabled:
            for name, profiler in (("caller", caller), ("writer", self.writer)):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
                print(f"--- profile: {label}, {name} thread\n{out.getvalue()}")
            self.writer = cProfile.Profile()
        return spent


def plain_insert(db: Path, texts: list[str], vectors: np.ndarray) -> float:
    """CPU seconds of the floor issue 16 compares with: the same texts and vectors written to a
    bare table, an FTS5 index and a sqlite-vec table, in the same batches, nothing else."""
    conn = apsw.Connection(str(db))
    load_vector_extension(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE docs(pk INTEGER PRIMARY KEY, content TEXT NOT NULL);"
        "CREATE VIRTUAL TABLE docs_fts USING fts5(content, content='',"
        " contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2');"
        f"CREATE VIRTUAL TABLE docs_vec USING vec0(embedding float[{vectors.shape[1]}])"
    )
    start = time.process_time()
    for first in range(0, len(texts), BATCH):
        rows = list(enumerate(texts[first : first + BATCH], start=first + 1))
        blobs = [v.astype("<f4").tobytes() for v in vectors[first : first + BATCH]]
        with conn:
            conn.executemany("INSERT INTO docs(pk, content) VALUES (?, ?)", rows)
            conn.executemany("INSERT INTO docs_fts(rowid, content) VALUES (?, ?)", rows)
            conn.executemany(
                "INSERT INTO docs_vec(rowid, embedding) VALUES (?, ?)",
                [(pk, blob) for (pk, _), blob in zip(rows, blobs, strict=True)],
            )
    spent = time.process_time() - start
    conn.close()
    return spent


def plain_keyword(db: Path, texts: list[str]) -> tuple[float, float]:
    """(p50 ms, CPU ms per query) of the same queries on the plain store: every word OR'ed,
    FTS5's own ranking, the hits' texts fetched."""
    conn = apsw.Connection(str(db))
    latencies: list[float] = []
    start = time.process_time()
    for text in texts:
        began = time.perf_counter()
        match = " OR ".join(f'"{word}"' for word in re.findall(r"\w+", text))
        conn.execute(
            "SELECT d.pk, d.content FROM (SELECT rowid FROM docs_fts WHERE docs_fts MATCH ?"
            " ORDER BY rank LIMIT ?) h JOIN docs d ON d.pk = h.rowid",
            (match, K),
        ).fetchall()
        latencies.append((time.perf_counter() - began) * 1000)
    spent = time.process_time() - start
    conn.close()
    return percentile(latencies, 0.5), spent / len(texts) * 1000


def _keyword(vault: memvault.Vault, texts: list[str], latencies: list[float]) -> None:
    for text in texts:
        start = time.perf_counter()
        vault.search(text, k=K, mode="keyword")
        latencies.append((time.perf_counter() - start) * 1000)


def run(size: int, folder: Path, *, profile: bool, storage: str) -> None:
    corpus = synthetic.build(size, QUERIES)
    embedder = synthetic.embedder_for(corpus)
    db = folder / f"cpu-{size}.db"
    plain = folder / f"plain-{size}.db"
    floor = plain_insert(plain, corpus.texts, corpus.vectors)
    print(f"plain sqlite-vec + FTS5 insert: {floor / size * 1e6:.1f} µs CPU per memory")
    with memvault.open(db, embedder=embedder, vector_storage=storage, background=False) as vault:
        drafts = [MemoryDraft(text) for text in corpus.texts]

        def insert() -> None:
            for first in range(0, size, BATCH):
                vault.remember_many(drafts[first : first + BATCH])

        profiles = _Profiles(profile)
        written = profiles.measure(insert, "remember_many")
        drained = profiles.measure(vault.wait_for_jobs, "wait_for_jobs")
        print(
            f"{size:,} memories, {storage}: remember_many {written / size * 1e6:.1f} µs CPU,"
            f" wait_for_jobs {drained / size * 1e6:.1f} µs CPU,"
            f" together {(written + drained) / size * 1e6:.1f} µs CPU per memory"
        )
        for name, query_set in (("content", corpus.content), ("common", corpus.common)):
            for text in query_set.texts[:20]:
                vault.search(text, k=K, mode="keyword")
            latencies: list[float] = []
            cpu = profiles.measure(
                functools.partial(_keyword, vault, query_set.texts, latencies),
                f"keyword {name}",
            )
            print(
                f"keyword {name}: p50 {percentile(latencies, 0.5):.3f} ms,"
                f" p95 {percentile(latencies, 0.95):.3f} ms,"
                f" CPU {cpu / len(query_set.texts) * 1000:.3f} ms per query"
            )
            p50, plain_cpu = plain_keyword(plain, query_set.texts)
            print(f"  plain FTS5 {name}: p50 {p50:.3f} ms, CPU {plain_cpu:.3f} ms per query")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int, nargs="?", default=10_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--storage", default="float32", choices=("float32", "int8", "bit"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(args.size, Path(folder), profile=args.profile, storage=args.storage)


if __name__ == "__main__":
    main()
