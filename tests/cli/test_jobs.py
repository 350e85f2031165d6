"""The CLI around vectors: remember --wait, jobs, search --mode, reembed, init --vector-storage,
and the hand-off of queued embeddings to a detached process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from memvault.cli.app import main


class Cli:
    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.home = home
        self.capsys = capsys

    def run(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--home", str(self.home), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> dict[str, Any]:
        code, out, err = self.run(*args, "--json")
        assert code == 0, err
        data: dict[str, Any] = json.loads(out)
        return data


@pytest.fixture
def cli(home: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(home, capsys)


def test_remember_wait_then_jobs_reports_the_vector(cli: Cli) -> None:
    made = cli.json("remember", "we deploy with make release", "--wait")
    assert made["created"] is True
    report = cli.json("jobs")
    assert {k: report[k] for k in ("queued", "running", "done", "failed", "total")} == {
        "queued": 0,
        "running": 0,
        "done": 1,
        "failed": 0,
        "total": 1,
    }
    assert report["progress"] == 1.0 and report["failures"] == []
    assert report["embedder"] == "hash"
    assert report["vectors"] == {
        "model_id": "hash-384",
        "dimensions": 384,
        "storage": "float32",
        "int8_scale": None,
    }

    cli.json("remember", "staging runs on arm machines")  # no --wait, no background worker
    queued = cli.json("jobs")
    assert (queued["queued"], queued["done"], queued["progress"]) == (1, 1, 0.5)
    drained = cli.json("jobs", "--wait")
    assert (drained["queued"], drained["running"], drained["done"]) == (0, 0, 2)

    code, out, _ = cli.run("jobs")
    assert code == 0
    assert out.strip() == "queued 0, running 0, done 2, failed 0 (100% done)"


def test_search_mode_vector_json(cli: Cli) -> None:
    target = cli.json("remember", "the billing service retries failed card payments", "--wait")
    cli.json("remember", "the office wifi password changes quarterly", "--wait")
    cli.json("remember", "alice prefers dark mode", "--wait")
    result = cli.json("search", "billing payments retries", "--mode", "vector", "--explain")
    assert result["mode"] == "vector"
    assert result["hits"][0]["id"] == target["id"]
    assert result["hits"][0]["signals"]["vector"]["rank"] == 1
    assert all(set(hit["signals"]) == {"vector"} for hit in result["hits"])
    one = cli.json("search", "billing payments retries", "--mode", "vector", "-k", "1")
    assert [h["id"] for h in one["hits"]] == [target["id"]]
    hybrid = cli.json("search", "billing payments", "--explain")
    assert hybrid["mode"] == "hybrid"
    assert set(hybrid["hits"][0]["signals"]) == {"keyword", "vector"}


def test_search_mode_vector_with_vectors_off_is_a_one_line_error(cli: Cli) -> None:
    code, _, err = cli.run("--embedder", "none", "remember", "no vectors here")
    assert code == 0
    code, _, err = cli.run("--embedder", "none", "search", "vectors", "--mode", "vector")
    assert code == 1
    assert err.startswith("memvault: error: ") and "vectors turned off" in err
    assert err.count("\n") == 1


def test_reembed_changes_the_storage_kind(cli: Cli) -> None:
    ids = [
        cli.json("remember", text, "--wait")["id"]
        for text in ("deploy with make release", "backups run nightly", "wifi password rotates")
    ]
    assert cli.json("jobs")["vectors"]["storage"] == "float32"
    report = cli.json("reembed", "--vector-storage", "int8")
    assert (report["done"], report["queued"], report["failed"]) == (3, 0, 0)
    assert report["vectors"]["storage"] == "int8"
    assert report["vectors"]["model_id"] == "hash-384"
    assert isinstance(report["vectors"]["int8_scale"], float)
    assert cli.json("jobs")["vectors"]["storage"] == "int8"
    found = cli.json("search", "backups nightly", "--mode", "vector", "-k", "1")
    assert [h["id"] for h in found["hits"]] == [ids[1]]
    assert cli.json("check")["ok"] is True


def test_init_storage_is_fixed_once_vectors_exist(cli: Cli) -> None:
    assert cli.json("init", "--vector-storage", "bit")["vector_storage"] == "bit"
    assert cli.json("init", "--vector-storage", "int8")["vector_storage"] == "int8"  # no vectors
    assert cli.json("init", "--vector-storage", "bit")["vector_storage"] == "bit"
    cli.json("remember", "stored as bits", "--wait")
    assert cli.json("jobs")["vectors"]["storage"] == "bit"

    code, out, err = cli.run("init", "--vector-storage", "int8")
    assert (code, out) == (1, "")
    assert err == (
        "memvault: error: this vault already stores bit vectors; change it with "
        "`memvault reembed --vector-storage int8`\n"
    )
    assert cli.json("jobs")["vectors"]["storage"] == "bit"  # nothing changed
    assert cli.json("init", "--vector-storage", "bit")["vector_storage"] == "bit"


def test_a_plain_remember_hands_embedding_to_a_background_process(cli: Cli, home: Path) -> None:
    exe = shutil.which("memvault", path=str(Path(sys.executable).parent)) or "memvault"

    def remember(text: str, background: str) -> str:
        env = {**os.environ, "MEMVAULT_HOME": str(home), "MEMVAULT_BACKGROUND": background}
        done = subprocess.run(
            [exe, "remember", text, "--json"], capture_output=True, env=env, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        memory_id: str = json.loads(done.stdout)["id"]
        return memory_id

    remember("left in the queue", "0")
    assert cli.json("jobs")["queued"] == 1  # with the hand-off off, nobody embeds it

    target = remember("handed off to a detached worker", "1")  # returns without waiting
    deadline = time.monotonic() + 20
    report = cli.json("jobs")
    while (report["done"], report["queued"], report["running"]) != (2, 0, 0):
        assert time.monotonic() < deadline, report
        time.sleep(0.2)
        report = cli.json("jobs")
    found = cli.json("search", "detached worker", "--mode", "vector", "-k", "1")
    assert [h["id"] for h in found["hits"]] == [target]
