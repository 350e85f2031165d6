"""The search page of ``memvault serve --http`` on a big vault: server time, wall time, weight.

A real server process serves a vault of the synthetic corpus (``synthetic.py``, as the search
tables use) and the content queries are asked of its page, ``GET /?q=...`` with the bearer
token, as a browser would ask, one after the other on one kept-alive connection. The server
time is what the page's own ``Server-Timing: app;dur=MS`` header says (the time until the
answer's first byte: reading the form, the search, rendering the page); the wall time is the
client's, from sending the request to the last byte of the answer, on loopback.

The vault is built once per size and kept under ``$MEMVAULT_BENCH_CACHE`` (by default
``~/.cache/memvault/bench``), keyed by the corpus generator's source, so a second run starts
measuring at once. Its vectors come from the hash embedder, which the server also uses for
queries: vector search over the vault costs what it costs with any 384-d model, and the
query's own embedding (a few ms with the bundled model, in the query-embedding table) is left
out, as in the search tables.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import synthetic
from bench_search import BATCH, MODES, QUERIES, WARMUP
from report import Section
from timing import Ticker, log, percentile

import memvault
from memvault.core.records import MemoryDraft

HERE = Path(__file__).parent
TOKEN = "bench-web-token-" + "7f3a9c2e5b1d4a60"
EMBEDDER = "hash"
CACHE = Path(os.environ.get("MEMVAULT_BENCH_CACHE", "~/.cache/memvault/bench")).expanduser()
_TIMING = re.compile(r"\bapp;dur=([0-9.]+)")
_ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"')


@dataclass
class ModeResult:
    mode: str
    server_ms: list[float] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)
    pages: list[bytes] = field(default_factory=list)


@dataclass
class Weight:
    html: int  # the median results page
    html_gzip: int
    assets: dict[str, tuple[int, int]]  # each /static/ file the page links, once: bytes, gzip

    @property
    def total(self) -> tuple[int, int]:
        sizes = [(self.html, self.html_gzip), *self.assets.values()]
        return sum(s for s, _ in sizes), sum(g for _, g in sizes)


@dataclass
class WebResult:
    size: int
    modes: list[ModeResult]
    weight: Weight
    first_answer_s: float  # the server's first search (its vector index loads)


def run(sizes: tuple[int, ...], folder: Path) -> list[Section]:
    """The page at the largest size (``make bench``: 100k memories)."""
    del folder  # the vault lives in the cache, not in this run's temporary folder
    size = max(sizes)
    corpus = synthetic.build(size, QUERIES)
    db = cached_vault(size, corpus.texts)
    with serve(db) as port:
        result = measure(port, size, corpus.content.texts)
    return sections(result)


def cached_vault(size: int, texts: list[str]) -> Path:
    """The vault of ``texts`` with hash vectors: the cached file, or built (and cached)."""
    key = hashlib.sha256(b"".join((HERE / n).read_bytes() for n in ("synthetic.py", "corpus.py")))
    db = CACHE / f"web-{size}-{key.hexdigest()[:12]}.db"
    if db.exists():
        with memvault.open(db, embedder=EMBEDDER, background=False) as vault:
            jobs = vault.jobs()
            if vault.stats().memories == size and jobs.done == size:
                log(f"{size:,} memories: the cached vault {db}")
                return db
        log(f"{size:,} memories: the cached vault is incomplete, building it again")
    for suffix in ("", "-wal", "-shm", ".vindex"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    log(f"{size:,} memories: building the web page's vault ({EMBEDDER} vectors) at {db}")
    with memvault.open(db, embedder=EMBEDDER, background=False) as vault:
        ticker = Ticker("remember_many", size)
        for first in range(0, size, BATCH):
            vault.remember_many([MemoryDraft(t) for t in texts[first : first + BATCH]])
            ticker(first + BATCH)
        counts = vault.wait_for_jobs()
        assert counts.done == size and counts.failed == 0, counts
    return db


@contextmanager
def serve(db: Path) -> Iterator[int]:
    """``memvault --db DB serve --http`` on a free loopback port, until the block ends."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "MEMVAULT_TOKEN": TOKEN, "MEMVAULT_EMBEDDER": EMBEDDER}
    command = [sys.executable, "-m", "memvault.cli.app", "--db", str(db), "--log-level", "off"]
    child = subprocess.Popen(
        [*command, "serve", "--http", f"127.0.0.1:{port}", "--no-watch"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_up(child, port)
        yield port
    finally:
        child.terminate()
        child.wait(timeout=30)


def _wait_until_up(child: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if child.poll() is not None:
            error = child.stderr.read().decode() if child.stderr else ""
            raise RuntimeError(f"memvault serve exited {child.returncode}: {error}")
        try:
            status, _, _ = _get(http.client.HTTPConnection("127.0.0.1", port), "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("memvault serve did not answer /healthz in 120 s")


def _get(
    conn: http.client.HTTPConnection, path: str, token: bool = False
) -> tuple[int, http.client.HTTPMessage, bytes]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "text/html"} if token else {}
    conn.request("GET", path, headers=headers)
    answer = conn.getresponse()
    body = answer.read()
    return answer.status, answer.headers, body


def measure(port: int, size: int, queries: list[str]) -> WebResult:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    _, first = page(conn, queries[0], "hybrid")
    first_answer_s = time.perf_counter() - start
    if b"vector #" not in first:  # hybrid without vectors is keyword search: say so, do not time it
        raise RuntimeError("the server's hybrid search has no vector signal: are vectors on?")
    modes = []
    for mode in MODES:
        log(f"{size:,} memories: the search page, {mode}, {len(queries)} queries")
        for text in queries[:WARMUP]:
            page(conn, text, mode)
        result = ModeResult(mode)
        for text in queries:
            started = time.perf_counter()
            server_ms, body = page(conn, text, mode)
            result.wall_ms.append((time.perf_counter() - started) * 1000)
            result.server_ms.append(server_ms)
            result.pages.append(body)
        modes.append(result)
    conn.close()
    hybrid = next(m for m in modes if m.mode == "hybrid")
    return WebResult(size, modes, weight(port, hybrid.pages), first_answer_s)


def page(conn: http.client.HTTPConnection, query: str, mode: str) -> tuple[float, bytes]:
    """One results page: (its Server-Timing in ms, its HTML)."""
    status, headers, body = _get(conn, "/?" + urlencode({"q": query, "mode": mode}), token=True)
    if status != 200:
        raise RuntimeError(f"GET /?q={query!r} answered {status}: {body[:300]!r}")
    timing = _TIMING.search(headers.get("server-timing", ""))
    if timing is None or b'class="hit' not in body:
        raise RuntimeError(f"no Server-Timing or no hits for {query!r}")
    return float(timing.group(1)), body


def weight(port: int, pages: list[bytes]) -> Weight:
    """The median-sized results page and every /static/ file it links, each counted once."""
    sample = sorted(pages, key=len)[len(pages) // 2]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    assets: dict[str, tuple[int, int]] = {}
    for path in dict.fromkeys(_ASSET.findall(sample.decode())):
        status, _, data = _get(conn, path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        assets[path] = (len(data), len(gzip.compress(data, 6)))
    conn.close()
    return Weight(len(sample), len(gzip.compress(sample, 6)), assets)


def sections(result: WebResult) -> list[Section]:
    latency = Section(
        f"Search page at {result.size:,} memories, ms",
        ["mode", "server p50", "server p95", "wall p50", "wall p95"],
    )
    for mode in result.modes:
        latency.add(
            mode.mode,
            *(
                f"{percentile(values, q):.1f}"
                for values in (mode.server_ms, mode.wall_ms)
                for q in (0.50, 0.95)
            ),
        )
    latency.notes.append(
        f"`memvault serve --http` on a {result.size:,}-memory vault (DB only, `--no-watch`), "
        f"{QUERIES} content queries per mode after {WARMUP} warm-up ones, each a "
        "`GET /?q=...&mode=...` with the bearer token on one kept-alive loopback connection: "
        "the first page of 10 hits with their marks and explain tables. Server: the page's "
        "`Server-Timing: app;dur` (until the answer's first byte: the search, its hits' "
        "marks, the template). Wall: the client's, to the last byte. Vectors and query "
        "vectors come from the hash embedder, whose query costs microseconds: with the "
        "bundled model, vector and hybrid pages take its query embedding (the "
        "query-embedding table) on top. The server's first page, which loads its vector "
        f"index, took {result.first_answer_s:.2f} s."
    )
    weight = result.weight
    parts = Section("Search page weight, bytes", ["part", "bytes", "gzip"])
    parts.add("results page HTML", f"{weight.html:,}", f"{weight.html_gzip:,}")
    for path, (size, packed) in weight.assets.items():
        parts.add(f"`{path}`", f"{size:,}", f"{packed:,}")
    total, packed_total = weight.total
    parts.add("total", f"{total:,}", f"{packed_total:,}")
    parts.notes.append(
        "The median-sized hybrid results page of the run above and every `/static/` file it "
        "links (CSS and JS, counted once: a browser caches them). The server sends them "
        "uncompressed; `gzip` is the size at level 6, what a compressing proxy would send."
    )
    return [latency, parts]
