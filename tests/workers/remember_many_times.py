"""Worker process: remember N distinct memories one by one; print a JSON summary.

Usage: python remember_many_times.py DB WORKER_NAME COUNT [--echo-ids]
With --echo-ids each id is printed (and flushed) as soon as its write is acknowledged.
"""

import json
import sys

import memvault

db, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
echo = "--echo-ids" in sys.argv
errors: list[str] = []
with memvault.open(db) as vault:
    for i in range(count):
        try:
            outcome = vault.remember(
                f"worker {name} memory {i}: parse_config_{i} tuned",
                kind="fact",
                tags=[f"w-{name}"],
            )
            if echo:
                print(outcome.id, flush=True)
        except Exception as exc:  # every error counts; none may surface
            errors.append(f"{type(exc).__name__}: {exc}")
if not echo:
    print(json.dumps({"worker": name, "errors": errors}))
