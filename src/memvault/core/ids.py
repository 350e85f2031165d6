"""Identifiers and content hashes.

Ids are UUIDv7 strings: they sort by creation time, so the newest memories cluster at the end of
every index and ``ORDER BY id`` is also chronological. Records made from files (notes, chunks,
indexed documents) get uuid5 ids derived from where they came from instead, so a rebuild finds
them under the same id.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import unicodedata

import uuid_utils


def new_id() -> str:
    """A fresh UUIDv7 as a lowercase string."""
    return str(uuid_utils.uuid7())


def content_hash(content: str) -> str:
    """Hash used for dedup: the same text, up to Unicode form and outer whitespace, is the same."""
    normal = unicodedata.normalize("NFC", content).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def file_hash(data: bytes) -> str:
    """Hash of a file's bytes: a sync re-reads a file only when this changed."""
    return hashlib.sha256(data).hexdigest()


def owner_id() -> str:
    """Who holds a lease, a pending mark or a run: ``host:pid:token``. The host and pid let
    another process on the same machine tell that the holder is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def local_pid(owner: str) -> int | None:
    """The pid in an owner ``host:pid:token`` from this host, else None."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    return int(pid_text)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_gone(owner: str) -> bool:
    """Whether the holder of a lease, mark or run is known to be gone: a process of this host
    that no longer exists (killed, crashed). One on another host is never known to be gone."""
    pid = local_pid(owner)
    return pid is not None and pid != os.getpid() and not process_alive(pid)
