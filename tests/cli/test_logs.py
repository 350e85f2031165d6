"""The home's log file and `memvault logs`: what is written, rotation, several processes, follow."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memvault.cli import logs as log_file
from memvault.cli.app import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def records(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> list[dict[str, str]]:
    code, out, _ = run(capsys, "--home", str(home), "logs", "--json", *args)
    assert code == 0
    return [json.loads(line) for line in out.splitlines()]


def test_backups_and_failures_are_logged_and_read_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    run(capsys, "--home", str(home), "remember", "x")
    assert run(capsys, "--home", str(home), "backup", str(tmp_path / "b"))[0] == 0
    code, _, err = run(capsys, "--home", str(home), "get", "no-such-id")
    assert code == 3 and err.count("\n") == 1  # the user still sees one line

    every = records(capsys, home)
    assert [r["logger"] for r in every] == ["memvault.backup", "memvault.cli"]
    assert every[0]["level"] == "info" and "backup" in every[0]["message"]
    assert every[1]["level"] == "warning" and "no-such-id" in every[1]["message"]
    assert all(isinstance(r["pid"], int) and r["at"].endswith("Z") for r in every)
    assert [r["logger"] for r in records(capsys, home, "--level", "warning")] == ["memvault.cli"]
    assert records(capsys, home, "--since", "2999-01-01") == []
    assert len(records(capsys, home, "--since", "10m")) == 2
    assert len(records(capsys, home, "-n", "1")) == 1
    code, out, _ = run(capsys, "--home", str(home), "logs")
    assert "WARNING memvault.cli" in out

    missing = tmp_path / "typo"
    assert run(capsys, "--home", str(missing), "stats")[0] == 1
    assert not missing.exists()  # a failed read on a missing home writes no log either
    assert run(capsys, "--home", str(home), "--log-level", "loud", "stats")[0] == 1


def test_the_log_rotates_within_its_bounds_and_reads_oldest_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    run(capsys, "--home", str(home), "remember", "x")
    monkeypatch.setattr(log_file, "MAX_BYTES", 2_000)
    log_file.open_log(home, "info")
    try:
        for n in range(400):
            logging.getLogger("memvault.test").info("record %04d", n)
    finally:
        log_file.close_log()
    files = sorted((home / "logs").glob("memvault.log*"))
    assert 2 <= len(files) <= log_file.BACKUPS + 1
    assert all(f.stat().st_size <= 2_200 for f in files)
    kept = [r["message"] for r in records(capsys, home, "-n", "100000")]
    numbers = [int(m.split()[1]) for m in kept]
    assert numbers == sorted(numbers) and numbers[-1] == 399  # the newest kept, in order


def test_several_processes_write_whole_lines(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert main(["--home", str(home), "remember", "x"]) == 0
    script = (
        "import logging, sys; from pathlib import Path; from memvault.cli import logs; "
        "logs.open_log(Path(sys.argv[1]), 'info'); "
        "[logging.getLogger('memvault.test').info('p%s line %d ' + 'x' * 200, sys.argv[2], i) "
        "for i in range(300)]; logs.close_log()"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(home), str(n)]) for n in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    lines = (home / "logs" / "memvault.log").read_text().splitlines()
    parsed = [json.loads(line) for line in lines]  # every line whole: none interleaved
    assert len(parsed) == 900


def test_follow_prints_new_lines(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert main(["--home", str(home), "remember", "x"]) == 0
    assert main(["--home", str(home), "get", "first-missing"]) == 3
    follower = subprocess.Popen(
        [sys.executable, "-m", "memvault.cli.app", "--home", str(home), "logs", "-f", "--json"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        assert "first-missing" in follower.stdout.readline()
        time.sleep(0.5)
        assert main(["--home", str(home), "get", "second-missing"]) == 3
        assert "second-missing" in follower.stdout.readline()
    finally:
        follower.kill()
        follower.wait()


def test_undecodable_bytes_are_logged_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    run(capsys, "--home", str(home), "remember", "x")
    assert run(capsys, "--home", str(home), "index", "\udcff")[0] == 1
    raw = (home / "logs" / "memvault.log").read_bytes()
    assert raw.decode("utf-8").count("\\udcff") == 1  # valid UTF-8, the byte shown escaped
