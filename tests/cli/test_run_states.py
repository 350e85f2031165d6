"""What `memvault jobs` and `memvault import --status` say about runs that did not finish: a
killed index run, a killed or failed import, and what a resumed import did itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import memvault
from memvault.cli.app import main
from memvault.importers.engine import Importer
from memvault.importers.readers.jsonl import JsonlSource

ROOT = Path(__file__).parents[2]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def killed_at_progress(script: str, *args: str) -> None:
    """Run ``script`` in a process that SIGKILLs itself from a progress callback (``die``)."""
    prelude = (
        "import os, signal, sys\n"
        "import memvault\n"
        "def die(*_):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + script, *args],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "MEMVAULT_EMBEDDER": "hash"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -9, done.stderr


def test_a_killed_index_run_shows_as_interrupted_and_the_next_run_finishes(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for n in range(4):
        (project / f"doc{n}.md").write_text(f"# Doc {n}\n\nthe heron count is {n}\n")
    killed_at_progress(
        "with memvault.open(sys.argv[1], background=False) as vault:\n"
        "    vault.index_path(sys.argv[2], progress=lambda done, *_: done == 2 and die())\n",
        str(home),
        str(project),
    )
    (run,) = run_cli(capsys, "--home", str(home), "jobs", "--json")["index_runs"]
    assert run["state"] == "interrupted" and run["files_total"] == 4

    capsys.readouterr()
    assert main(["--home", str(home), "jobs"]) == 0
    assert f"index {project.resolve()}: interrupted" in capsys.readouterr().out

    again = run_cli(capsys, "--home", str(home), "index", str(project), "--json")
    assert again["files"] == 4
    states = [
        r["state"] for r in run_cli(capsys, "--home", str(home), "jobs", "--json")["index_runs"]
    ]
    assert states == ["done", "interrupted"]


def write_source(path: Path, count: int) -> Path:
    with path.open("w") as handle:
        for n in range(count):
            handle.write(json.dumps({"id": f"r{n}", "content": f"otter record {n}"}) + "\n")
    return path


def test_a_killed_import_is_interrupted_and_its_resume_counts_only_its_own_records(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_source(tmp_path / "source.jsonl", 10)
    killed_at_progress(
        "from memvault.importers.engine import Importer\n"
        "from memvault.importers.readers.jsonl import JsonlSource\n"
        "with memvault.open(sys.argv[1], background=False) as vault:\n"
        "    Importer(vault).run(JsonlSource(sys.argv[2]), batch_size=4,\n"
        "                        progress=lambda done, total: done >= 4 and die())\n",
        str(home),
        str(source),
    )
    args = ["--home", str(home), "import", "jsonl", str(source)]
    status = run_cli(capsys, *args, "--status", "--json")
    assert (status["last_run"], status["checkpoint"], status["imported"]) == ("interrupted", "4", 4)

    resumed = run_cli(capsys, *args, "--batch-size", "4", "--json")
    assert resumed["resumed"] is True
    assert resumed["imported"] == 6  # this run; the killed one had done the first 4
    assert resumed["already_done"] == {"imported": 4, "updated": 0, "unchanged": 0, "failed": 0}
    after = run_cli(capsys, *args, "--status", "--json")
    assert after["last_run"] == "done" and after["imported"] == after["source_records"] == 10
    assert after["last_run_counts"]["imported"] == 10


def test_a_failed_import_is_failed_with_its_reason_and_resumes(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_source(tmp_path / "source.jsonl", 10)

    def stop(done: int, total: int) -> None:
        if done >= 8:
            raise KeyboardInterrupt  # Ctrl-C while the third batch is read

    with memvault.open(home, background=False) as vault, pytest.raises(KeyboardInterrupt):
        Importer(vault).run(JsonlSource(source), batch_size=4, progress=stop)
    args = ["--home", str(home), "import", "jsonl", str(source)]
    status = run_cli(capsys, *args, "--status", "--json")
    assert status["last_run"] == "failed" and status["error"] == "interrupted (Ctrl-C)"
    assert status["checkpoint"] == "8" and status["imported"] == 8

    resumed = run_cli(capsys, *args, "--batch-size", "4", "--json")
    assert (resumed["resumed"], resumed["imported"]) == (True, 2)
    assert resumed["already_done"]["imported"] == 8
    assert run_cli(capsys, *args, "--status", "--json")["last_run"] == "done"
