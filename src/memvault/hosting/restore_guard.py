"""Keeping a hosted server from opening a tenant while it is being restored.

Between setting the old files aside and renaming the restored database into place, a request
that opened the tenant would create an empty vault there (the pool opens a tenant on first
use), and the restore would then refuse to install over it. So a restore holds an ``flock`` on
``DIR/NAME/.restoring`` for its length, and the server opens no tenant whose marker is locked.
A lock, not the file's presence: a restore killed half-way leaves an unlocked marker, which
locks no tenant out.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from memvault.core.errors import ConflictError

RESTORING = ".restoring"


def restoring(home: Path) -> bool:
    """Whether a restore is running into ``home`` (its marker is locked by a live process)."""
    try:
        fd = os.open(home / RESTORING, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing also drops a lock taken
    return False


@contextmanager
def restore_guard(home: Path, name: str) -> Iterator[None]:
    """Hold the tenant's restore marker; a second restore of it is refused."""
    marker = home / RESTORING
    fd = os.open(marker, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError(f"tenant {name} is being restored by another process") from None
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                marker.unlink()
    finally:
        os.close(fd)
