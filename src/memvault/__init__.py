"""memvault: persistent memory for AI agents, in one SQLite file.

import memvault
with memvault.open("~/.memvault") as vault:
    vault.remember("We deploy with `make release`", kind="fact", tags=["ops"])
    hits = vault.search("how do we deploy")
"""

from __future__ import annotations

from memvault.core.errors import (
    ConflictError,
    InvalidInputError,
    MemvaultError,
    NotFoundError,
    StorageBusyError,
    StorageError,
)
from memvault.core.records import (
    CheckReport,
    Edge,
    InsertOutcome,
    Memory,
    MemoryDraft,
    Neighbour,
    SearchHit,
    SearchMode,
    StoreStats,
    ValidationEvent,
    Verdict,
)
from memvault.core.vector_records import JobCounts
from memvault.core.version import VERSION
from memvault.service.opening import open_vault
from memvault.service.vault import Vault

__version__ = VERSION


open = open_vault


__all__ = [
    "CheckReport",
    "ConflictError",
    "Edge",
    "InsertOutcome",
    "InvalidInputError",
    "JobCounts",
    "Memory",
    "MemoryDraft",
    "MemvaultError",
    "Neighbour",
    "NotFoundError",
    "SearchHit",
    "SearchMode",
    "StorageBusyError",
    "StorageError",
    "StoreStats",
    "ValidationEvent",
    "Vault",
    "Verdict",
    "open",
]
