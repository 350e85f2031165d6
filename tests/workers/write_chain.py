"""Worker process: remember COUNT memories, each tagged and linked to the one before; print a
JSON summary. The chain lets a test see that a backup holds a consistent prefix of each writer.

Usage: python write_chain.py HOME WORKER_NAME COUNT
"""

import json
import sys

import memvault

home, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
errors: list[str] = []
with memvault.open(home, background=False) as vault:
    previous = None
    for i in range(count):
        try:
            made = vault.remember(
                f"writer {name} step {i}", kind="event", tags=[f"w-{name}", f"step-{i}"]
            )
            if previous is not None:
                vault.relate(made.id, previous, relation="follows")
            previous = made.id
        except Exception as exc:  # every error counts; none may surface
            errors.append(f"{type(exc).__name__}: {exc}")
print(json.dumps({"worker": name, "errors": errors}))
