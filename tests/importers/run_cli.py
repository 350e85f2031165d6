"""Running `memvault` as an operator would, for the end-to-end import tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ENV = {**os.environ, "MEMVAULT_EMBEDDER": "hash", "MEMVAULT_BACKGROUND": "0"}


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``memvault --home HOME ARGS`` with the test embedder; never raises on a failed exit."""
    return subprocess.run(
        [sys.executable, "-m", "memvault.cli.app", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=ENV,
    )
