"""Benchmark worker process: start a session, log COUNT messages one per call, print latencies.

Usage: session_worker.py HOME_OR_DB WORKER COUNT. Each worker has its own session (project
``bench-WORKER``) of the shared vault; messages alternate user and assistant, tokens counted by
the vault. Prints, as JSON, the latencies (ms, in logging order) and the wall-clock times of
the first log's start and the last one's end (so throughput leaves out process start).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from corpus import TextMaker

import memvault
from memvault.core.session_records import MessageDraft, Role


def main(location: str, worker: int, count: int) -> dict[str, object]:
    maker = TextMaker(seed=2000 + worker)
    latencies: list[float] = []
    with memvault.open(location, embedder="none") as vault:
        session = vault.sessions.start(project=f"bench-{worker}", agent=f"worker-{worker}")
        began = time.time()
        for n in range(count):
            draft = MessageDraft(maker.memory(), role=Role.ASSISTANT if n % 2 else Role.USER)
            start = time.perf_counter()
            vault.sessions.log(session.id, [draft])
            latencies.append((time.perf_counter() - start) * 1000)
        ended = time.time()
    return {"latencies": latencies, "began": began, "ended": ended}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
