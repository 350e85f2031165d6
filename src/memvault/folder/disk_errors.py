"""A file of the Markdown folder that cannot be written for lack of space or permission.

Python reports a full disk while writing a memory file as a bare ``OSError`` ("No space left on
device", often without the file's name), which says neither where nor what became of the
change. The folder's writers turn it into one line that says both: the database row is already
committed (it is the truth the file is rendered from) and its pending mark makes the next open,
or ``memvault reindex``, write the file once there is room.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from memvault.core.errors import StorageError

FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


@contextmanager
def explained(path: Path, outcome: str) -> Iterator[None]:
    """Writing ``path``: a full disk or a read-only file becomes one StorageError that ends with
    ``outcome`` (what the user still has)."""
    try:
        yield
    except OSError as exc:
        if exc.errno in FULL:
            raise StorageError(f"disk full while writing {path}; {outcome}") from exc
        if exc.errno in READ_ONLY:
            raise StorageError(f"{path} is read-only ({exc.strerror}); {outcome}") from exc
        raise


SAVED = "the change is saved in the database; its file is written once it can be (memvault check)"
