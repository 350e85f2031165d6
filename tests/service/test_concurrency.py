"""Several processes on one vault at once: no lost write, no "database is locked", no damage.

These use real, separate OS processes, as several MCP servers, the CLI and an importer would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import memvault

WORKERS = Path(__file__).parents[1] / "workers"


def spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKERS / script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_four_writer_processes_and_two_searchers(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    memvault.open(db).close()  # created once up front, as `memvault init` would
    stop = tmp_path / "stop"
    searchers = [spawn("search_until.py", str(db), str(stop)) for _ in range(2)]
    writers = [spawn("remember_many_times.py", str(db), str(n), "500") for n in range(4)]
    try:
        writer_reports = []
        for proc in writers:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            writer_reports.append(json.loads(out))
    finally:
        stop.touch()
    searcher_reports = []
    for proc in searchers:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        searcher_reports.append(json.loads(out))

    assert [r["errors"] for r in writer_reports] == [[], [], [], []]
    assert [r["errors"] for r in searcher_reports] == [[], []]
    assert all(r["searches"] > 0 for r in searcher_reports)
    with memvault.open(db) as vault:
        assert vault.stats().memories == 2000
        for n in range(4):
            assert len(vault.list(tags=[f"w-{n}"], limit=1000)) == 500
        assert vault.check().ok


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    proc = spawn("remember_many_times.py", str(db), "k", "100000", "--echo-ids")
    acknowledged: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acknowledged.append(line.strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(acknowledged) == 300, proc.stderr.read() if proc.stderr else ""

    with memvault.open(db) as vault:
        for memory_id in acknowledged:
            vault.get(memory_id, touch=False)  # raises NotFoundError if a write was lost
        assert vault.stats().memories >= 300
        assert vault.check().ok


@pytest.mark.slow
def test_four_agents_logging_sessions_and_a_reader(tmp_path: Path) -> None:
    home = tmp_path / "home"
    memvault.open(home, embedder="none").close()  # created once up front, like `memvault init`
    stop = tmp_path / "stop"
    reader = spawn("search_messages_until.py", str(home), str(stop))
    agents = [spawn("log_session.py", str(home), str(n), "500") for n in range(4)]
    try:
        reports = []
        for proc in agents:
            out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
            reports.append(json.loads(out))
    finally:
        stop.touch()
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    searched = json.loads(out)

    assert [(r["logged"], r["errors"]) for r in reports] == [(500, [])] * 4
    assert searched["errors"] == [] and searched["searches"] > 0
    with memvault.open(home, embedder="none") as vault:
        assert vault.stats().messages == 2000
        for report in reports:
            said = vault.sessions.messages(report["session"])
            assert [m.content.split(" ")[3] for m in said] == [str(n) for n in range(500)]
        assert vault.sync().changed == 0  # every file was written as the index has it
        assert vault.check().ok
