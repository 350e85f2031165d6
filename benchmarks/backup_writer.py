"""Benchmark worker process: remember one memory per call until STOP exists; print
[[wall-clock start, latency ms], ...] as JSON, so the bench can pick the writes that ran during
a backup.

Usage: backup_writer.py HOME_OR_DB WORKER STOP_FILE
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, __file__.rsplit("/", 1)[0])

from corpus import TextMaker

import memvault

location, worker, stop = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
maker = TextMaker(seed=5000 + worker)
writes = []
with memvault.open(location, embedder="none", background=False) as vault:
    while not stop.exists():
        text = maker.memory()
        started = time.time()
        begin = time.perf_counter()
        vault.remember(text)
        writes.append([started, (time.perf_counter() - begin) * 1000])
print(json.dumps(writes))
