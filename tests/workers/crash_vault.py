"""Worker process: write to a vault home and die (os._exit, like kill -9) at a chosen step.

Usage: python crash_vault.py HOME MODE
MODE:
  after-commit   remember 4 memories, then die after the 5th is committed, before its file
  before-commit  die after the 5th memory's file is marked, before the database write
  note-file      write a note's file, then die before it is indexed
  session-file   log 3 messages, then die after the 4th is committed, before the session's file
  forever        remember memories until killed, printing each acknowledged id
"""

import os
import sys

import memvault
import memvault.folder.memory_writer
import memvault.folder.notes
import memvault.folder.session_writer
from memvault.storage.sqlite.store import SqliteStore

home, mode = sys.argv[1], sys.argv[2]


def die(*_args: object, **_kwargs: object) -> None:
    sys.stdout.flush()
    os._exit(9)


with memvault.open(home, background=False) as vault:
    if mode == "forever":
        i = 0
        while True:
            outcome = vault.remember(f"memory number {i} about parse_config_{i}", tags=["crash"])
            if i % 3 == 0:
                vault.notes.write(f"notes/n{i}.md", f"# Note {i}\n\nabout topic_{i}\n")
            print(outcome.id, flush=True)
            i += 1
    if mode == "session-file":
        session = vault.sessions.start(project="crash")
        print(session.id, flush=True)
        for i in range(3):
            print(vault.sessions.log(session.id, [f"kept message {i}"])[0].id, flush=True)
        memvault.folder.session_writer.atomic_write = die  # type: ignore[assignment]
        vault.sessions.log(session.id, ["the fourth message, committed but never rendered"])
    for i in range(4):
        print(vault.remember(f"kept memory {i}").id, flush=True)
    if mode == "after-commit":
        memvault.folder.memory_writer.atomic_write = die  # type: ignore[assignment]
        vault.remember("the fifth memory, committed but never rendered")
    elif mode == "before-commit":
        SqliteStore.insert_memories = die  # type: ignore[assignment,method-assign]
        vault.remember("the fifth memory, marked but never written")
    elif mode == "note-file":
        vault.notes._sync.sync = die  # type: ignore[method-assign]
        vault.notes.write("crashed.md", "# Crashed\n\nwritten but never indexed: zebra_crossing\n")
    raise SystemExit("the crash did not happen")
