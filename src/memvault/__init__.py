"""memvault: persistent memory for AI agents, in one SQLite file.

import memvault
with memvault.open("~/.memvault") as vault:
    vault.remember("We deploy with `make release`", kind="fact", tags=["ops"])
    hits = vault.search("how do we deploy")

The names below are imported on first use (PEP 562), not with the package: every
``memvault.*`` import, the CLI's included, runs this file first, and importing the service
layer here cost every command ~0.5 s CPU before it did anything.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from memvault.core.version import VERSION

if TYPE_CHECKING:
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
        ListOrder,
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
    from memvault.service.opening import open_vault as open
    from memvault.service.vault import Vault

__version__ = VERSION

# name -> (module, attribute)
_LAZY = {
    **{
        name: ("memvault.core.errors", name)
        for name in (
            "ConflictError",
            "InvalidInputError",
            "MemvaultError",
            "NotFoundError",
            "StorageBusyError",
            "StorageError",
        )
    },
    **{
        name: ("memvault.core.records", name)
        for name in (
            "CheckReport",
            "Edge",
            "InsertOutcome",
            "ListOrder",
            "Memory",
            "MemoryDraft",
            "Neighbour",
            "SearchHit",
            "SearchMode",
            "StoreStats",
            "ValidationEvent",
            "Verdict",
        )
    },
    "JobCounts": ("memvault.core.vector_records", "JobCounts"),
    "open": ("memvault.service.opening", "open_vault"),
    "Vault": ("memvault.service.vault", "Vault"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'memvault' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "CheckReport",
    "ConflictError",
    "Edge",
    "InsertOutcome",
    "InvalidInputError",
    "JobCounts",
    "ListOrder",
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
