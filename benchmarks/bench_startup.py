"""Cold start: the CPU seconds a fresh process spends before it has done its job.

What a user waits for on every command is the interpreter plus the imports plus opening the
vault, not the search itself, so each figure here is one whole process, measured from outside:
``memvault --help``; a keyword search in a 1k vault; an MCP stdio server until it has answered
``tools/list``; and, at the end, the first vector search of a fresh process over a large vault,
which must load the index snapshot rather than rebuild the index. CPU time (user + system, from
``wait4`` or ``/proc``) is the figure: on a shared machine it moves far less than wall time. Each
is the least of a few runs, the cost with nothing else in the way.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import synthetic
from report import Section

import memvault
from memvault.core.records import MemoryDraft

RUNS = 5
MEMORIES = 1_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
COMMAND = [sys.executable, "-m", "memvault.cli.app"]
# A user's installed package has its bytecode compiled; a run here must not compile the sources
# every time (this machine sets PYTHONDONTWRITEBYTECODE): the first of the runs writes it.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
TARGETS = {"help": 0.15, "keyword": 0.25, "mcp": 1.0}  # CPU seconds (issue 16)


@dataclass
class StartupResult:
    bare_s: float  # the interpreter alone: the floor
    help_s: float
    keyword_s: float
    mcp_list_s: float  # CPU until tools/list was answered
    mcp_list_wall_s: float


def run(folder: Path) -> StartupResult:
    home = folder / "startup-home"
    query = _vault(home)
    db = ["--home", str(home)]
    served = [mcp_tools_list([*COMMAND, *db, "serve"]) for _ in range(RUNS)]
    return StartupResult(
        bare_s=least(lambda: process_cpu([sys.executable, "-c", "pass"])),
        help_s=least(lambda: process_cpu([*COMMAND, "--help"])),
        keyword_s=least(lambda: process_cpu([*COMMAND, *db, "search", query, "--mode", "keyword"])),
        mcp_list_s=min(cpu for cpu, _ in served),
        mcp_list_wall_s=min(wall for _, wall in served),
    )


def least(measure: Callable[[], float], runs: int = RUNS) -> float:
    return min(measure() for _ in range(runs))


def _vault(home: Path) -> str:
    """A 1k-memory vault with the hash embedder (vectors on, no model to load); a query."""
    corpus = synthetic.build(MEMORIES, 10)
    with memvault.open(home, embedder="hash", background=False) as vault:
        vault.remember_many([MemoryDraft(text) for text in corpus.texts])
        vault.wait_for_jobs()
    return corpus.content.texts[0]


def process_cpu(command: list[str]) -> float:
    """User + system CPU seconds of one run of ``command`` (its output thrown away)."""
    child = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=CHILD_ENV,
    )
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise RuntimeError(f"{' '.join(command)} exited with status {status}")
    return usage.ru_utime + usage.ru_stime


def mcp_tools_list(command: list[str], timeout: float = 60.0) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of an MCP stdio server from its start until its answer to
    ``tools/list`` (sent right after ``initialize``, as clients do) was read."""
    start = time.perf_counter()
    child = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=CHILD_ENV,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        hello = {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"},
        }
        for message in (
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        ):
            child.stdin.write(json.dumps(message).encode() + b"\n")
        child.stdin.flush()
        while True:
            ready, _, _ = select.select([child.stdout], [], [], timeout)
            if not ready:
                raise RuntimeError("no tools/list answer in time")
            line = child.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its output before answering tools/list")
            if json.loads(line).get("id") == 2:
                wall = time.perf_counter() - start
                return _cpu_of(child.pid), wall
    finally:
        child.stdin.close()
        child.terminate()
        child.wait(timeout=30)


def section(result: StartupResult, first_vector_search: dict[int, float]) -> Section:
    """The table for docs/benchmarks.md; ``first_vector_search``: seconds by vault size, the
    first vector search of a new process (from the index snapshot: bench_search)."""
    table = Section(
        "Cold start (CPU seconds of a fresh process)", ["what", "CPU s", "target", "wall s"]
    )
    table.add("the interpreter alone (`python -c pass`)", f"{result.bare_s:.3f}", "-", "-")
    table.add("`memvault --help`", f"{result.help_s:.3f}", f"{TARGETS['help']}", "-")
    table.add(
        f"keyword search, {MEMORIES:,} memories",
        f"{result.keyword_s:.3f}",
        f"{TARGETS['keyword']}",
        "-",
    )
    table.add(
        "MCP stdio: start until `tools/list` answered",
        f"{result.mcp_list_s:.2f}",
        f"{TARGETS['mcp']}",
        f"{result.mcp_list_wall_s:.2f}",
    )
    for size, seconds in sorted(first_vector_search.items()):
        table.add(f"first vector search, new process, {size:,} (wall)", "-", "-", f"{seconds:.3f}")
    table.notes.append(
        f"Least of {RUNS} runs each; user + system CPU of the whole process (`wait4`, or "
        "`/proc` for the server, read when its answer arrived), so threads count too. The "
        "keyword search and the server use a home with the hash embedder (vectors on, no "
        "model to load) and its Markdown folder of one file per memory. typer 0.29 itself "
        "costs ~0.17 s CPU for any command here (its rich help, and pydantic for coercing "
        "parameters), the MCP SDK's import ~0.9 s."
    )
    return table


def _cpu_of(pid: int) -> float:
    """CPU seconds a live process (its threads included) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(Path(__file__).parent))
    from rich.console import Console

    with tempfile.TemporaryDirectory() as where:
        section(run(Path(where)), {}).print(Console(width=130))
