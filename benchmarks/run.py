"""`make bench`: write, insert, search, embedding and session-layer speed on this machine, and
memvault side by side with its peers, printed and saved.

Speed lives here, never in timed unit tests. Results go to docs/benchmarks.md: everything but the
section between the eval markers, which `make eval` writes and this keeps as it is. The session,
backup, side-by-side, PostgreSQL, search-page, hosting and entity tables sit between their own
markers, so `--sessions-only`, `--backup-only`, `--peers-only`, `--postgres-only`, `--web-only`,
`--hosting-only` and `--entities-only` can measure and replace just them.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).parent))

import bench_backup
import bench_embedding
import bench_entities
import bench_hosting
import bench_import
import bench_peers
import bench_postgres
import bench_search
import bench_sessions
import bench_startup
import bench_web
import bench_writes
import peer_report
import peer_startup
import synthetic
from bench_search import MODES, QUERIES, STORAGES, K, SizeResult
from report import Section
from timing import log

from memvault.service.fusion import DEFAULT_FUSION

HERE = Path(__file__).parent
REPORT = HERE.parent / "docs" / "benchmarks.md"
EVAL_SECTION = re.compile(r"<!-- eval:start -->.*?<!-- eval:end -->", re.DOTALL)
SESSIONS_SECTION = re.compile(r"<!-- sessions:start -->.*?<!-- sessions:end -->", re.DOTALL)
BACKUP_SECTION = re.compile(r"<!-- backup:start -->.*?<!-- backup:end -->", re.DOTALL)
PEERS_SECTION = re.compile(r"<!-- peers:start -->.*?<!-- peers:end -->", re.DOTALL)
POSTGRES_SECTION = re.compile(r"<!-- postgres:start -->.*?<!-- postgres:end -->", re.DOTALL)
WEB_SECTION = re.compile(r"<!-- web:start -->.*?<!-- web:end -->", re.DOTALL)
HOSTING_SECTION = re.compile(r"<!-- hosting:start -->.*?<!-- hosting:end -->", re.DOTALL)
ENTITIES_SECTION = re.compile(r"<!-- entities:start -->.*?<!-- entities:end -->", re.DOTALL)
SIZES = (10_000, 100_000)
console = Console()
if console.width < 130:  # a pipe or a narrow terminal: the search table needs the room
    console = Console(width=130)


def insert_section(results: list[SizeResult]) -> Section:
    section = Section(
        f"Batched insert and vector storage (remember_many, {bench_search.BATCH} per call)",
        ["memories", "vectors", "remember_many/s", "wait_for_jobs/s", "together/s"],
    )
    for r in results:
        for v in r.vaults:
            together = 1 / (1 / v.insert_per_s + 1 / v.vectors_per_s) if v.vectors_per_s else 0
            section.add(
                f"{r.size:,}",
                v.storage,
                f"{v.insert_per_s:,.0f}",
                f"{v.vectors_per_s:,.0f}" if v.vectors_per_s else "-",
                f"{together:,.0f}" if together else "-",
            )
    section.notes.append(
        "Memories per second. `remember_many/s`: writing the memories (and, with vectors on, "
        "queueing their embed jobs in the same transaction); no embedding happens here. "
        "`wait_for_jobs/s`: the queued jobs drained in the foreground (`background=False`) by "
        "the real worker (claim under a lease, embed, store vectors and finish the job in one "
        "transaction), with an embedder that returns precomputed 384-d vectors instantly, so "
        "this is the vault's cost of storing vectors, not a model's."
    )
    return section


def search_section(results: list[SizeResult]) -> Section:
    columns = ["memories", "vectors", "queries"]
    columns += [f"{mode} {q}" for mode in MODES for q in ("p50", "p95")]
    section = Section(f"Search latency in ms, k={K}, query embedding excluded", columns)
    for r in results:
        for v in r.vaults:
            for name in bench_search.QUERY_SETS:
                if not any(key[0] == name for key in v.latency):
                    continue
                cells = [f"{r.size:,}", v.storage, name]
                for mode in MODES:
                    p50, p95 = v.latency.get((name, mode), (math.nan, math.nan))
                    cells += ["-", "-"] if math.isnan(p50) else [f"{p50:.2f}", f"{p95:.2f}"]
                section.add(*cells)
    section.notes += [
        f"{QUERIES} queries per set, each one `vault.search` call after {bench_search.WARMUP} "
        f"warm-up calls; hybrid fuses each signal's top {DEFAULT_FUSION.depth} "
        f"({DEFAULT_FUSION.method.value} fusion). The query's vector comes from a "
        "dictionary (the bundled model's own cost is in the query-embedding table below). "
        "Content queries are 2-4 words taken from the memory the query's vector is aimed at, "
        "none of them among the 200 most frequent words (real queries drop stopwords); "
        "common-word queries draw 2-4 words by corpus frequency, the worst case for keyword "
        "search since FTS5 scores every document that matches an OR query. Dated queries are "
        f'the content queries after "{synthetic.DATE_PHRASE}": hybrid then reads the time of '
        "every candidate for its time window (docs/fusion.md), the costliest hybrid path.",
        _shape_note(results),
    ]
    return section


def _shape_note(results: list[SizeResult]) -> str:
    shapes = "; ".join(
        f"{r.size:,}: median pair cosine {r.shape['pair_median']:.2f}, a query's top-1 "
        f"{r.shape['top1_median']:.2f} and 10th {r.shape['top10_median']:.2f} (medians)"
        for r in results
    )
    return (
        "Synthetic data (`benchmarks/synthetic.py`): memories are `corpus.py` sentences (12-40 "
        "Zipf-distributed words, 8 % code identifiers) with topic and sub-topic words mixed in; "
        "their 384-d vectors are clustered the same way (topics, sub-topics of ~33 memories, "
        "own noise) and unit length, shaped like MiniLM's on real text. Measured on the data: "
        f"{shapes}."
    )


def recall_section(results: list[SizeResult]) -> Section:
    columns = ["vectors"] + [f"recall@{K} at {r.size:,}" for r in results]
    columns += [f"index load at {r.size:,} s" for r in results]
    columns += [f"from snapshot at {r.size:,} s" for r in results]
    section = Section(f"Vector search recall@{K} against exact search", columns)
    for storage in STORAGES:
        cells = [storage] + [f"{r.vault(storage).recall:.3f}" for r in results]
        cells += [f"{r.vault(storage).first_search_s:.2f}" for r in results]
        cells += [f"{r.vault(storage).snapshot_search_s:.3f}" for r in results]
        section.add(*cells)
    section.notes.append(
        f"Recall: the share of each query's exact top {K} (brute-force cosine in numpy over the "
        f"original float32 vectors) that `search(mode='vector', k={K})` returned, averaged "
        f"over both query sets ({2 * QUERIES} queries). Index load: the first vector search "
        "after the vectors were stored, which builds the process's in-memory index from the "
        "database and writes its snapshot (`memvault.db.vindex`). From snapshot: the first "
        "vector search of the next process, which maps the snapshot and replays the vector log."
    )
    return section


def size_section(results: list[SizeResult]) -> Section:
    section = Section(
        "Database size, bytes per memory",
        ["memories", "vectors", "file", "due to vectors", "vec0 tables", "jobs+log", "free"],
    )
    for r in results:
        base = r.vault("none").file_bytes
        for v in r.vaults:
            per = v.file_bytes / r.size
            section.add(
                f"{r.size:,}",
                v.storage,
                f"{per:,.0f}",
                f"{(v.file_bytes - base) / r.size:,.0f}" if v.storage != "none" else "-",
                f"{v.parts['vectors'] / r.size:,.0f}",
                f"{v.parts['queue'] / r.size:,.0f}",
                f"{v.parts['free'] / r.size:,.0f}",
            )
    section.notes.append(
        "`file`: the database file after closing (which checkpoints and truncates the WAL) "
        "divided by the memories; `due to vectors`: the same minus the keyword-only vault's. "
        "Of that, `vec0 tables` is sqlite-vec's storage and `jobs+log` the finished embed jobs "
        "and the vector change log (`jobs`, its indexes and `vector_log`, from SQLite's "
        "dbstat); `free` is unused pages. A 384-d vector is 1,536 bytes as float32, 384 as "
        "int8 and 48 as bit."
    )
    return section


def sessions_block(sections: list[Section], elapsed: float) -> str:
    """The session tables between their markers, with the time they took."""
    return block("sessions", "session-layer", sections, elapsed)


def block(marker: str, what: str, sections: list[Section], elapsed: float) -> str:
    """Tables between their own markers, with the time they took, so a partial run
    (``--sessions-only``, ``--backup-only``) can replace just them."""
    last = sections[-1]
    last.notes.append(
        f"The {len(sections)} {what} table(s) took {elapsed / 60:.1f} min of `make bench` "
        f"(measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)."
    )
    lines = [f"<!-- {marker}:start -->", ""]
    for section in sections:
        lines += section.markdown()
    return "\n".join([*lines, f"<!-- {marker}:end -->"])


def write_report(sections: list[Section], elapsed: float, blocks: list[str]) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in "
        f"{elapsed / 60:.1f} min; {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite via apsw. The machine is shared and noisy: trust "
        "ratios more than absolutes.",
        "",
    ]
    for section in sections:
        lines += section.markdown()
    for kept_block in blocks:
        lines += [kept_block, ""]
    current = REPORT.read_text("utf-8") if REPORT.exists() else ""
    kept = EVAL_SECTION.search(current)
    if kept:
        lines += [kept.group(0), ""]
    REPORT.write_text("\n".join(lines), encoding="utf-8")


def replace_block(pattern: re.Pattern[str], text_block: str) -> None:
    """Only these tables: in place of the old ones, else before the first block that follows
    them in a full run (the eval section last)."""
    current = REPORT.read_text("utf-8")
    following = [
        PEERS_SECTION,
        SESSIONS_SECTION,
        BACKUP_SECTION,
        POSTGRES_SECTION,
        WEB_SECTION,
        HOSTING_SECTION,
        ENTITIES_SECTION,
        EVAL_SECTION,
    ]
    later = following[following.index(pattern) + 1 :] if pattern in following else following
    found = [m for m in (p.search(current) for p in later) if m is not None]
    if pattern.search(current):
        text = pattern.sub(lambda _: text_block, current)
    elif found:
        at = min(m.start() for m in found)
        text = f"{current[:at]}{text_block}\n\n{current[at:]}"
    else:
        text = f"{current.rstrip()}\n\n{text_block}\n"
    REPORT.write_text(text, encoding="utf-8")


def peer_sections(sizes: tuple[int, ...], folder: Path) -> list[Section]:
    """memvault next to ChromaDB, a plain sqlite-vec + FTS5 store and the numpy floor."""
    results = bench_peers.run(sizes, folder)
    cold = synthetic.build(peer_startup.COLD_SIZE, peer_startup.ROUNDS)
    startup = peer_startup.run(folder, cold.texts, cold.vectors, cold.content.texts)
    return peer_report.sections(results, startup)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    only = (
        args.sessions_only
        or args.backup_only
        or args.peers_only
        or args.postgres_only
        or args.web_only
        or args.hosting_only
        or args.entities_only
    )
    start = time.perf_counter()
    sections: list[Section] = []
    blocks: list[tuple[re.Pattern[str], str]] = []
    partial_sections: list[Section] = []
    # (marker, what, pattern, --X-only flag, measure): the tables a partial run can replace
    parts: list[tuple[str, str, re.Pattern[str], bool, Callable[[Path], list[Section]]]] = [
        ("peers", "side-by-side", PEERS_SECTION, args.peers_only, _peers(args.sizes)),
        ("sessions", "session-layer", SESSIONS_SECTION, args.sessions_only, bench_sessions.run),
        ("backup", "online-backup", BACKUP_SECTION, args.backup_only, bench_backup.run),
        ("postgres", "PostgreSQL", POSTGRES_SECTION, args.postgres_only, _postgres(args.sizes)),
        ("web", "search-page", WEB_SECTION, args.web_only, _web(args.sizes)),
        ("hosting", "hosted-server", HOSTING_SECTION, args.hosting_only, bench_hosting.run),
        ("entities", "entity", ENTITIES_SECTION, args.entities_only, bench_entities.run),
    ]
    with tempfile.TemporaryDirectory(prefix="memvault-bench-") as tmp:
        folder = Path(tmp)
        if not only:
            writes = bench_writes.run(folder)
            imports = bench_import.run(folder)
            results = bench_search.run(args.sizes, folder)
            startup = bench_startup.run(folder)
        for marker, what, pattern, chosen, measure in parts:
            if only and not chosen:
                continue
            started = time.perf_counter()
            measured = measure(folder)
            blocks.append((pattern, block(marker, what, measured, time.perf_counter() - started)))
            partial_sections += measured
    if not only:
        sections = [
            writes,
            imports,
            insert_section(results),
            search_section(results),
            recall_section(results),
            size_section(results),
            bench_startup.section(
                startup, {r.size: r.vault("float32").snapshot_search_s for r in results}
            ),
            bench_embedding.run(),
        ]
    for section in [*sections, *partial_sections]:
        section.print(console)
    elapsed = time.perf_counter() - start
    log(f"done in {elapsed / 60:.1f} min")
    if args.no_write or args.sizes != SIZES:
        console.print("not written to docs: --no-write, --quick or non-default --sizes")
        return
    if only:
        for pattern, text_block in blocks:
            replace_block(pattern, text_block)
    else:
        write_report(sections, elapsed, [text_block for _, text_block in blocks])
    console.print(f"written to {REPORT}")


def _peers(sizes: tuple[int, ...]) -> Callable[[Path], list[Section]]:
    return lambda folder: peer_sections(sizes, folder)


def _postgres(sizes: tuple[int, ...]) -> Callable[[Path], list[Section]]:
    return lambda folder: bench_postgres.run(sizes, folder)


def _web(sizes: tuple[int, ...]) -> Callable[[Path], list[Section]]:
    return lambda folder: bench_web.run(sizes, folder)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: tuple(int(n) for n in text.split(",")),
        default=SIZES,
        help="vault sizes, comma-separated (trial runs; not written to the docs)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="10k memories only (trial runs; not written)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave the docs")
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--sessions-only",
        action="store_true",
        help="only the session-layer tables (replacing just them in the docs)",
    )
    only.add_argument(
        "--backup-only",
        action="store_true",
        help="only the online-backup table (replacing just it in the docs)",
    )
    only.add_argument(
        "--peers-only",
        action="store_true",
        help="only the side-by-side tables against the peers (replacing just them)",
    )
    only.add_argument(
        "--postgres-only",
        action="store_true",
        help="only the SQLite-next-to-PostgreSQL tables (replacing just them in the docs)",
    )
    only.add_argument(
        "--web-only",
        action="store_true",
        help="only the search page's tables (replacing just them in the docs)",
    )
    only.add_argument(
        "--hosting-only",
        action="store_true",
        help="only the hosted server's tables: tenants under load, kill -9 (replacing just them)",
    )
    only.add_argument(
        "--entities-only",
        action="store_true",
        help="only the entity tables: extraction CPU, insert with it on and off",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = (10_000,)
    return args


if __name__ == "__main__":
    main()
