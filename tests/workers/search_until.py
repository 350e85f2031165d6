"""Worker process: search repeatedly until STOP_FILE exists; print a JSON summary."""

import json
import os
import sys

import memvault

db, stop_file = sys.argv[1], sys.argv[2]
errors: list[str] = []
searches = 0
with memvault.open(db) as vault:
    while not os.path.exists(stop_file):
        try:
            vault.search("parseConfig tuned", k=10)
            vault.search("worker memory", k=5, tags=["w-1"])
            searches += 2
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
print(json.dumps({"searches": searches, "errors": errors}))
