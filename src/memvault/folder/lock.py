"""One lock per Markdown folder, across threads and processes.

Every change to a vault file and the index rows made from it happens under this lock: a
memory write (mark, database, file), a note write, and a sync of an outside edit. Without it a
watcher could read a memory file a moment before memvault rewrites it and store the old text
over the new. The lock is ``flock`` on ``vault/.memvault.lock`` (released by the kernel when a
process dies, so a killed process never leaves the vault locked) plus a re-entrant thread lock,
because ``flock`` does not exclude threads of one process from each other.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from memvault.core.ids import owner_id

LOCK_NAME = ".memvault.lock"


class FolderLock:
    def __init__(self, root: Path) -> None:
        self._path = root / LOCK_NAME
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self.owner = owner_id()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth == 0:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(self._fd)
                    self._fd = None
                    raise
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
                    self._fd = None
