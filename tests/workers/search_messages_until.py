"""Worker process: search past messages until a stop file appears; report searches and errors.

Usage: python search_messages_until.py HOME STOP_FILE
"""

import json
import sys
import time
from pathlib import Path

import memvault

home, stop = sys.argv[1], Path(sys.argv[2])
searches, errors = 0, []
with memvault.open(home, embedder="none", background=False) as vault:
    while not stop.exists():
        try:
            vault.sessions.search(f"topic_{searches % 7}", k=10, mode="keyword")
            searches += 1
        except Exception as exc:  # anything at all is a failure to report
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.005)
print(json.dumps({"searches": searches, "errors": errors}))
