"""The engine contract suite catches a broken engine: run on a PostgreSQL engine with one method
broken on purpose (``broken_postgres.py``), it fails there, and only there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_deliberately_broken_postgresql_method_fails_the_contract_suite() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "0",
            "-p",
            "tests.storage.broken_postgres",
            "-k",
            "supersede",
            "tests/storage/contract/test_memories.py",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    failed = sorted(
        line.split(" ")[1] for line in done.stdout.splitlines() if line.startswith("FAILED")
    )
    assert failed and all(name.endswith("[postgres]") for name in failed), done.stdout
    assert " passed" in done.stdout  # the SQLite runs of the same tests still pass
