"""Benchmark worker process: remember COUNT memories one per call; print latencies (ms) as JSON.

Usage: write_worker.py LOCATION WORKER COUNT [EMBEDDER]; LOCATION is a ``.db`` file, a home or a
store URL (``postgresql://…?schema=NAME``), EMBEDDER defaults to ``none``. With a real
embedder the vault's background thread embeds while the writes go on, as in normal use.
"""

import json
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])

from corpus import TextMaker

import memvault

db, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
embedder = sys.argv[4] if len(sys.argv) > 4 else "none"
maker = TextMaker(seed=1000 + worker)
latencies = []
with memvault.open(db, embedder=embedder) as vault:
    for _ in range(count):
        text = maker.memory()
        start = time.perf_counter()
        vault.remember(text)
        latencies.append((time.perf_counter() - start) * 1000)
print(json.dumps(latencies))
