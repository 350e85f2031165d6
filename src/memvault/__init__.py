"""memvault: persistent memory for AI agents, in one SQLite file.

import memvault
with memvault.open("~/.memvault") as vault:
    vault.remember("We deploy with `make release`", kind="fact", tags=["ops"])
    hits = vault.search("how do we deploy")
"""

from __future__ import annotations

import os

from memvault.embedding.base import Embedder
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
    JobCounts,
    Memory,
    MemoryDraft,
    Neighbour,
    SearchHit,
    SearchMode,
    StoreStats,
    ValidationEvent,
    Verdict,
)
from memvault.vault import Vault

__version__ = "0.1.0"


def open(
    home_or_db: str | os.PathLike[str] | None = None,
    *,
    embedder: str | Embedder | None = None,
    vector_storage: str | None = None,
    background: bool = True,
) -> Vault:
    """Open (creating if needed) the vault at a home folder or ``.db`` file.

    With no argument the home is ``MEMVAULT_HOME`` or ``~/.memvault``. ``embedder`` is a spec
    such as ``bundled``, ``hash:384``, ``ollama:MODEL`` or ``none`` (see
    :mod:`memvault.embedding.factory`), or an ``Embedder``; by default the vault's own setting.
    With ``background`` a worker thread embeds new memories; otherwise they wait for
    :meth:`Vault.wait_for_jobs`.
    """
    from memvault.storage import open_store
    from memvault.vector_pipeline import VectorPipeline

    path = database_path(home_or_db)
    store = open_store(path)
    try:
        vectors = VectorPipeline(
            store, embedder=embedder, storage=vector_storage, background=background
        )
    except BaseException:
        store.close()
        raise
    return Vault(store, db_path=path, vectors=vectors)


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
