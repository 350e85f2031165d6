"""Worker process: start a session and log messages into it, as one agent would.

Usage: python log_session.py HOME WORKER COUNT
Prints a JSON report: the session id, messages logged, and any errors seen.
"""

import json
import sys

import memvault
from memvault.core.errors import MemvaultError
from memvault.core.session_records import MessageDraft

home, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
BATCH = 5
errors: list[str] = []
logged = 0
with memvault.open(home, embedder="none", background=False) as vault:
    session = vault.sessions.start(project="shared", agent=f"agent-{worker}")
    for start in range(0, count, BATCH):
        batch = [
            MessageDraft(f"agent {worker} message {n} about topic_{n % 7}", role="assistant")
            for n in range(start, min(start + BATCH, count))
        ]
        try:
            logged += len(vault.sessions.log(session.id, batch))
        except MemvaultError as exc:
            errors.append(str(exc))
    vault.sessions.end(session.id)
print(json.dumps({"session": session.id, "logged": logged, "errors": errors}))
