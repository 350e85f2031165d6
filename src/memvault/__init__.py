"""memvault: persistent memory for AI agents, in one SQLite file.

import memvault
with memvault.open("~/.memvault") as vault:
    vault.remember("We deploy with `make release`", kind="fact", tags=["ops"])
    hits = vault.search("how do we deploy")
"""

from __future__ import annotations

import os

from memvault.errors import (
    ConflictError,
    InvalidInputError,
    MemvaultError,
    NotFoundError,
    StorageBusyError,
    StorageError,
)
from memvault.home import database_path
from memvault.models import (
    CheckReport,
    Edge,
    InsertOutcome,
    Memory,
    MemoryDraft,
    Neighbour,
    SearchHit,
    StoreStats,
    ValidationEvent,
    Verdict,
)
from memvault.vault import Vault

__version__ = "0.1.0"


def open(home_or_db: str | os.PathLike[str] | None = None) -> Vault:
    """Open (creating if needed) the vault at a home folder or ``.db`` file.

    With no argument the home is ``MEMVAULT_HOME`` or ``~/.memvault``.
    """
    from memvault.storage import open_store

    path = database_path(home_or_db)
    return Vault(open_store(path), db_path=path)


__all__ = [
    "CheckReport",
    "ConflictError",
    "Edge",
    "InsertOutcome",
    "InvalidInputError",
    "Memory",
    "MemoryDraft",
    "MemvaultError",
    "Neighbour",
    "NotFoundError",
    "SearchHit",
    "StorageBusyError",
    "StorageError",
    "StoreStats",
    "ValidationEvent",
    "Vault",
    "Verdict",
    "open",
]
