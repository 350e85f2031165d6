"""Cold start: CPU seconds a fresh process spends before it has done the one thing asked.

Every command runs as its own child process with the interpreter running the benchmarks and
``PYTHONPATH`` set to the memvault package being measured, so the numbers are those of the
``src/`` under test. CPU is user + system time of the child (``os.wait4``), which the other
engineers' load on a shared machine changes far less than wall time. The commands of one round
run in turn, rounds repeat, and each figure is the median over rounds.

MCP start-up is the time from spawning the server until its answer to ``tools/list`` has been
read (an ``initialize`` request, the ``initialized`` notification, then ``tools/list``, one
JSON-RPC message per line over the child's stdin and stdout); its CPU is read from
``/proc/<pid>/stat`` at that moment, before the server is told to stop.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
from peer_sqlite import PlainStore
from timing import log

import memvault
from memvault.core.records import MemoryDraft

Matrix = npt.NDArray[np.float32]

HERE = Path(__file__).parent
PROTOCOL = "2025-06-18"
_TICK = os.sysconf("SC_CLK_TCK")


def child_env() -> dict[str, str]:
    """The benchmark's environment minus any MEMVAULT_ settings, with PYTHONPATH pointing at
    the memvault package this process imported (absolute, whatever the child's folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMVAULT_")}
    env["PYTHONPATH"] = str(Path(memvault.__file__).parents[1])
    return env


@dataclass(frozen=True)
class Started:
    cpu_s: float
    wall_s: float


def run_cpu(argv: list[str], cwd: Path) -> Started:
    """Run to completion; the child's CPU seconds and the wall time."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"{argv} exited {proc.returncode}: {err[-500:]}")
    if proc.stderr:
        proc.stderr.close()
    return Started(usage.ru_utime + usage.ru_stime, wall)


def _send(pipe: IO[bytes], message: dict[str, object]) -> None:
    pipe.write(json.dumps(message).encode() + b"\n")
    pipe.flush()


def _answer(pipe: IO[bytes], request_id: int) -> dict[str, object]:
    """Lines until the response to ``request_id`` (notifications and logs are skipped)."""
    while True:
        line = pipe.readline()
        if not line:
            raise RuntimeError("the server closed stdout before answering")
        message = json.loads(line)
        if isinstance(message, dict) and message.get("id") == request_id:
            if "error" in message:
                raise RuntimeError(f"server error: {message['error']}")
            return message


def _proc_cpu(pid: int) -> float:
    """User + system CPU of a live process and its waited-for children, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # after the name: state is field 3, utime 14, stime 15, cutime 16, cstime 17
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / _TICK


def mcp_tools_list(argv: list[str], cwd: Path) -> tuple[Started, int]:
    """Spawn an MCP stdio server, list its tools; (CPU and wall until answered, tool count)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        _send(
            proc.stdin,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": PROTOCOL,
                    "capabilities": {},
                    "clientInfo": {"name": "memvault-bench", "version": "1"},
                },
            },
        )
        _answer(proc.stdout, 1)
        _send(proc.stdin, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _send(proc.stdin, {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
        listed = _answer(proc.stdout, 2)
        wall = time.perf_counter() - start
        cpu = _proc_cpu(proc.pid)
    finally:
        proc.stdin.close()  # end of input: a stdio server stops
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    result = listed.get("result")
    tools = result.get("tools", []) if isinstance(result, dict) else []
    return Started(cpu, wall), len(tools)


PYTHON = sys.executable
# exactly what the ``memvault`` console script runs
CLI = (
    PYTHON,
    "-c",
    "import sys; sys.argv[0] = 'memvault'; from memvault.cli.app import run; run()",
)
# the plain store's keyword search as a script would do it: apsw, one query, print the hits
PLAIN_KEYWORD = (
    "import re, sys, apsw\n"
    "conn = apsw.Connection(sys.argv[1], flags=apsw.SQLITE_OPEN_READONLY)\n"
    "query = ' OR '.join(f'\"{w}\"' for w in re.findall(r'\\w+', sys.argv[2]))\n"
    "for row in conn.execute('SELECT d.id, d.content FROM docs_fts f JOIN docs d"
    " ON d.id = f.rowid WHERE docs_fts MATCH ? ORDER BY bm25(docs_fts) LIMIT 10', (query,)):\n"
    "    print(*row)\n"
)
COLD_SIZE = 1_000
ROUNDS = 6
ROWS = ("--help", "keyword search, 1k vault", "MCP stdio: tools/list answered")


@dataclass
class StartupResult:
    floor: list[Started] = field(default_factory=list)  # python -c pass
    memvault: dict[str, list[Started]] = field(default_factory=dict)
    peer: dict[str, list[Started]] = field(default_factory=dict)
    tools: int = 0  # tools memvault's server listed (the default set)


def run(
    folder: Path, corpus_texts: list[str], vectors: Matrix, queries: list[str]
) -> StartupResult:
    """``ROUNDS`` rounds of every command in turn, on a 1k home (Markdown vault, embedder
    none) and the same 1k memories in the plain store."""
    home, plain_db, cwd = folder / "cold-home", folder / "cold-plain.db", folder / "cold-cwd"
    cwd.mkdir()
    with memvault.open(home, embedder="none") as vault:
        vault.remember_many([MemoryDraft(text) for text in corpus_texts])
    plain = PlainStore(plain_db, vectors.shape[1])
    plain.insert(0, corpus_texts, vectors)
    plain.close()
    result = StartupResult()
    for number in range(ROUNDS):
        log(f"cold start: round {number + 1}/{ROUNDS}")
        _round(result, home, plain_db, cwd, queries[number % len(queries)])
    return result


def _round(result: StartupResult, home: Path, plain_db: Path, cwd: Path, query: str) -> None:
    """Every command once, each memvault one followed by its peer."""
    help_, search, serve = ROWS
    result.floor.append(run_cpu([PYTHON, "-c", "pass"], cwd))
    mine, peer = result.memvault, result.peer
    mine.setdefault(help_, []).append(run_cpu([*CLI, "--help"], cwd))
    keyword = [*CLI, "--home", str(home), "search", query, "--mode", "keyword"]
    mine.setdefault(search, []).append(run_cpu(keyword, cwd))
    plain = [PYTHON, "-c", PLAIN_KEYWORD, str(plain_db), query]
    peer.setdefault(search, []).append(run_cpu(plain, cwd))
    started, result.tools = mcp_tools_list([*CLI, "--home", str(home), "serve"], cwd)
    mine.setdefault(serve, []).append(started)
    minimal = [PYTHON, str(HERE / "mcp_minimal.py")]
    peer.setdefault(serve, []).append(mcp_tools_list(minimal, cwd)[0])


def median_cpu(runs: list[Started]) -> float:
    return statistics.median(r.cpu_s for r in runs) if runs else float("nan")


def median_wall(runs: list[Started]) -> float:
    return statistics.median(r.wall_s for r in runs) if runs else float("nan")
