"""The side-by-side tables: memvault | peer | floor | ratio, from one ``bench_peers`` run.

Every ratio is memvault's cost divided by the other's (time per memory for inserts, latency
for queries, CPU seconds for start-up, bytes for files): under 1.0 memvault is cheaper.
"""

from __future__ import annotations

from bench_peers import (
    BATCH,
    CHROMA,
    DEPTH,
    MEMVAULT,
    PLAIN,
    QUERIES,
    ROUNDS,
    SETS,
    WARMUP,
    K,
    PeerResult,
)
from peer_startup import ROWS, StartupResult, median_cpu, median_wall
from report import Section


def _ms(value: float) -> str:
    return f"{value:.2f}"


def _x(ratio: float) -> str:
    return f"{ratio:.2f}x"


def insert_section(results: list[PeerResult]) -> Section:
    section = Section(
        f"Side by side: batched insert with vectors ({BATCH} per batch)",
        [
            "memories",
            "memvault /s",
            "ChromaDB /s",
            "sqlite-vec + FTS5 /s (floor)",
            "÷ floor",
            "÷ ChromaDB",
            "first vector search: memvault s",
            "ChromaDB s",
        ],
    )
    for r in results:
        rate = r.insert_per_s
        section.add(
            f"{r.size:,}",
            f"{rate[MEMVAULT]:,.0f}",
            f"{rate[CHROMA]:,.0f}",
            f"{rate[PLAIN]:,.0f}",
            _x(rate[PLAIN] / rate[MEMVAULT]),
            _x(rate[CHROMA] / rate[MEMVAULT]),
            f"{r.first_search_s[MEMVAULT]:.2f}",
            f"{r.first_search_s[CHROMA]:.2f}",
        )
    section.notes.append(
        "Memories per second with their vectors, every batch given to each store in turn. "
        "memvault: `remember_many` then `wait_for_jobs` (the real embed queue drained in the "
        "foreground with precomputed vectors), default float32 storage, DB-only. "
        "sqlite-vec + FTS5: the text, its FTS5 row and its vec0 row in one transaction "
        "(`benchmarks/peer_sqlite.py`). ChromaDB: `collection.add` with documents and "
        "embeddings into a PersistentClient (`benchmarks/peer_chroma.py`). Ratios are "
        "memvault's time per memory over the other's (goal: ≤ 1.0 against the floor, ≤ 0.2 "
        "against ChromaDB). First vector search: the first query after the build (memvault "
        "builds its in-memory index and writes its snapshot here)."
    )
    return section


def keyword_section(results: list[PeerResult]) -> Section:
    section = Section(
        f"Side by side: keyword search in ms, k={K}",
        [
            *("memories", "queries", "memvault p50", "p95", "FTS5 by hand (floor) p50", "p95"),
            *("÷ floor p50", "÷ floor p95"),
        ],
    )
    for r in results:
        for name in SETS:
            mine = r.latency[(MEMVAULT, "keyword", name)]
            floor = r.latency[("FTS5", "keyword", name)]
            section.add(
                f"{r.size:,}",
                name,
                _ms(mine[0]),
                _ms(mine[1]),
                _ms(floor[0]),
                _ms(floor[1]),
                _x(mine[0] / floor[0]),
                _x(mine[1] / floor[1]),
            )
    section.notes.append(
        "FTS5 by hand: every query word quoted and OR-ed, `ORDER BY bm25` `LIMIT 10`, then the "
        "hits' texts fetched (same tokenizer as memvault's: porter unicode61). ChromaDB has no "
        "ranked keyword search (`where_document` is an unranked substring filter), so it has "
        "no column here. Goal: ≤ 1.0 on content queries, ≤ 0.1 on common-word queries."
    )
    return section


def vector_section(results: list[PeerResult]) -> Section:
    columns = ["memories", "queries", "memvault p50", "p95", "ChromaDB HNSW p50", "p95"]
    columns += ["sqlite-vec vec0 p50", "numpy exact p50", "numpy 1-bit (floor) p50", "p95"]
    columns += ["÷ floor", "÷ ChromaDB"]
    section = Section(f"Side by side: vector search in ms, k={K}", columns)
    for r in results:
        for name in SETS:
            mine = r.latency[(MEMVAULT, "vector", name)]
            chroma = r.latency[(CHROMA, "vector", name)]
            floor = r.latency[("numpy 1-bit", "vector", name)]
            section.add(
                f"{r.size:,}",
                name,
                _ms(mine[0]),
                _ms(mine[1]),
                _ms(chroma[0]),
                _ms(chroma[1]),
                _ms(r.p50("vec0", "vector", name)),
                _ms(r.p50("numpy exact", "vector", name)),
                _ms(floor[0]),
                _ms(floor[1]),
                _x(mine[0] / floor[0]),
                _x(mine[0] / chroma[0]),
            )
    section.notes.append(
        "Ratios of p50s. The floor is memvault's own algorithm in bare numpy "
        "(`benchmarks/peer_numpy.py`): Hamming distance on the sign bits, the nearest 400 "
        "(memvault's pool) rescored in float32; it returns row numbers only, memvault returns "
        "hydrated memories. numpy exact: an einsum over every vector. sqlite-vec vec0: its "
        "exact KNN query plus the hits' texts. ChromaDB: `collection.query` by embedding with "
        "documents. Goal: ≤ 1.2 against the floor and ≤ 1.0 against ChromaDB."
    )
    return section


def hybrid_section(results: list[PeerResult]) -> Section:
    columns = ["memories", "queries", "memvault p50", "p95", "FTS5 + vec0 RRF p50", "p95"]
    columns += ["FTS5 + numpy 1-bit RRF p50", "keyword + vector floors p50"]
    columns += ["÷ floors", "÷ FTS5 + vec0"]
    section = Section(f"Side by side: hybrid search in ms, k={K}", columns)
    for r in results:
        for name in SETS:
            mine = r.latency[(MEMVAULT, "hybrid", name)]
            plain = r.latency[("FTS5 + vec0 RRF", "hybrid", name)]
            floors = r.p50("FTS5", "keyword", name) + r.p50("numpy 1-bit", "vector", name)
            section.add(
                f"{r.size:,}",
                name,
                _ms(mine[0]),
                _ms(mine[1]),
                _ms(plain[0]),
                _ms(plain[1]),
                _ms(r.p50("FTS5 + numpy 1-bit RRF", "hybrid", name)),
                _ms(floors),
                _x(mine[0] / floors),
                _x(mine[0] / plain[0]),
            )
    section.notes.append(
        f"Every hybrid fuses each signal's top {DEPTH} (memvault's depth) and returns {K} "
        "hits. FTS5 + vec0 RRF: the plain store's two queries and reciprocal-rank fusion "
        "(k=60) in Python, then the texts of the top 10. FTS5 + numpy 1-bit RRF: the same "
        "with the numpy floor for the vector side. Keyword + vector floors: the sum of the "
        "FTS5 keyword and numpy 1-bit p50s at k=10 from the tables above. Goal: memvault "
        "≤ 2.0 times that sum."
    )
    return section


def recall_section(results: list[PeerResult]) -> Section:
    labels = [MEMVAULT, CHROMA, "vec0", "numpy 1-bit"]
    names = ["memvault", "ChromaDB HNSW", "sqlite-vec vec0", "numpy 1-bit (floor)"]
    section = Section(f"Side by side: vector recall@{K} against exact search", ["memories", *names])
    for r in results:
        section.add(f"{r.size:,}", *(f"{r.recall[label]:.3f}" for label in labels))
    section.notes.append(
        f"The share of each query's exact top {K} (float32 brute force in numpy) returned, "
        f"over all {2 * QUERIES} queries of the rounds (sqlite-vec: every third). Goal for "
        "memvault: ≥ 0.98."
    )
    return section


def file_section(results: list[PeerResult]) -> Section:
    section = Section(
        "Side by side: bytes on disk per memory",
        [
            *("memories", "memvault file", "memvault snapshot", "sqlite-vec + FTS5 (floor)"),
            *("ChromaDB folder", "÷ floor", "÷ ChromaDB"),
        ],
    )
    for r in results:
        size = r.file_bytes
        section.add(
            f"{r.size:,}",
            f"{size[MEMVAULT] / r.size:,.0f}",
            f"{size['memvault snapshot'] / r.size:,.0f}",
            f"{size[PLAIN] / r.size:,.0f}",
            f"{size[CHROMA] / r.size:,.0f}",
            _x(size[MEMVAULT] / size[PLAIN]),
            _x(size[MEMVAULT] / size[CHROMA]),
        )
    section.notes.append(
        "After closing every store. memvault file: the database (WAL checkpointed away); its "
        "snapshot (`memvault.db.vindex`) is the vector index cached for the next process, "
        "derived and rebuildable, not in the ratios. ChromaDB folder: everything its "
        "PersistentClient wrote."
    )
    return section


def startup_section(result: StartupResult) -> Section:
    section = Section(
        "Side by side: cold start, CPU seconds of a fresh process",
        [
            *("what", "memvault CPU s", "memvault wall s", "peer", "peer CPU s", "peer wall s"),
            *("`python -c pass` CPU s", "÷ peer", "÷ python"),
        ],
    )
    peers = {ROWS[1]: "FTS5 by hand, apsw script", ROWS[2]: "one-tool MCPServer"}
    floor = median_cpu(result.floor)
    for row in ROWS:
        cpu = median_cpu(result.memvault[row])
        peer = result.peer.get(row, [])
        section.add(
            row,
            f"{cpu:.2f}",
            f"{median_wall(result.memvault[row]):.2f}",
            peers.get(row, "-"),
            f"{median_cpu(peer):.2f}" if peer else "-",
            f"{median_wall(peer):.2f}" if peer else "-",
            f"{floor:.3f}",
            _x(cpu / median_cpu(peer)) if peer else "-",
            _x(cpu / floor),
        )
    section.notes.append(
        f"Medians of {ROUNDS} rounds, each command in turn, every one a new process with the "
        "same interpreter and the memvault source under test. `--help` and the keyword search "
        "run what the `memvault` console script runs; the search is on a 1k home (Markdown "
        "vault, embedder none, default CLI output), the peer the same query over the same "
        "memories in the plain store by a 5-line apsw script. MCP: `memvault --home H serve` "
        f"(the default tool set, {result.tools} tools) from spawn until its `tools/list` "
        "answer is read (after `initialize`), CPU from /proc at that moment; the peer is the "
        "SDK's smallest server (`benchmarks/mcp_minimal.py`, one tool), the floor of any "
        "server built on it. Goals: `--help` ≤ 0.15 s, keyword search ≤ 0.25 s, MCP ≤ 1.0 s CPU."
    )
    return section


def sections(results: list[PeerResult], startup: StartupResult) -> list[Section]:
    tables = [
        insert_section(results),
        keyword_section(results),
        vector_section(results),
        hybrid_section(results),
        recall_section(results),
        file_section(results),
        startup_section(startup),
    ]
    tables[0].notes.append(
        "All systems run in one process of one `make bench` run on the same data: the "
        "synthetic corpus of the search tables above with its precomputed 384-d vectors, so "
        "query embedding is left out everywhere."
    )
    tables[1].notes.append(
        f"Queries in every table: {ROUNDS} interleaved rounds, each with its own "
        f"{QUERIES // ROUNDS} queries per set run by every system in turn (the order rotating), "
        f"after {WARMUP} warm-up calls per system; each figure is the median over rounds of "
        "that round's percentile (`benchmarks/bench_peers.py`). The sqlite-vec rows (vec0 and "
        "FTS5 + vec0 RRF) time every third query only: at 100k one of them costs as much as "
        "dozens of the others."
    )
    return tables
