"""Worker process: remember COUNT memories, then embed them slowly in the background thread.

Usage: python embed_slowly.py DB COUNT LOG
Prints "queued" once the memories are committed, then "embedding N" as each batch starts
(its jobs claimed and held), and never exits on its own: the test kills it.
"""

import sys
import time
from pathlib import Path

from embedders import LoggingEmbedder

import memvault
from memvault.core.records import MemoryDraft

db, count, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
embedder = LoggingEmbedder(Path(log), sleep_per_batch=0.5, announce=True)
vault = memvault.open(db, embedder=embedder, background=True)
vault.remember_many([MemoryDraft(f"slowly embedded memory {i}") for i in range(count)])
print("queued", flush=True)
while True:
    time.sleep(1)
