"""Worker process: drain a vault's embed queue alongside others; print a JSON summary.

Usage: python drain_jobs.py DB LOG READY_FILE GO_FILE SLEEP_PER_BATCH
Each text embedded is appended to LOG. The process opens the vault, creates READY_FILE, and
starts draining only once GO_FILE exists, so that all workers start together.
"""

import json
import sys
import time
from pathlib import Path

from embedders import LoggingEmbedder

import memvault

db, log, ready, go, sleep = sys.argv[1:6]
embedder = LoggingEmbedder(Path(log), sleep_per_batch=float(sleep))
with memvault.open(db, embedder=embedder, background=False) as vault:
    Path(ready).touch()
    deadline = time.monotonic() + 60
    while not Path(go).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    counts = vault.wait_for_jobs(timeout=120)
print(json.dumps(counts.to_dict()))
