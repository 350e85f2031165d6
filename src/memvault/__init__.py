"""memvault: persistent memory for AI agents, in one SQLite file.

import memvault
with memvault.open("~/.memvault") as vault:
    vault.remember("We deploy with `make release`", kind="fact", tags=["ops"])
    hits = vault.search("how do we deploy")
"""

from __future__ import annotations

import os

from memvault.core.errors import (
    ConflictError,
    InvalidInputError,
    MemvaultError,
    NotFoundError,
    StorageBusyError,
    StorageError,
)
from memvault.core.home import database_path, vault_path
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
from memvault.embedding.base import Embedder
from memvault.service.vault import VAULT_SETTING, Vault

__version__ = "0.1.0"


def open(
    home_or_db: str | os.PathLike[str] | None = None,
    *,
    embedder: str | Embedder | None = None,
    vector_storage: str | None = None,
    background: bool = True,
    vault: bool | None = None,
) -> Vault:
    """Open (creating if needed) the vault at a home folder or ``.db`` file.

    With no argument the home is ``MEMVAULT_HOME`` or ``~/.memvault``. ``embedder`` is a spec
    such as ``bundled``, ``hash:384``, ``ollama:MODEL`` or ``none`` (see
    :mod:`memvault.embedding.factory`), or an ``Embedder``; by default the vault's own setting.
    With ``background`` a worker thread embeds new memories; otherwise they wait for
    :meth:`Vault.wait_for_jobs`.

    A home folder keeps its memories and notes as Markdown in ``HOME/vault`` too (the truth the
    index is rebuilt from); a ``.db`` path, ``vault=False``, or a home initialised with
    ``memvault init --no-vault`` is DB-only.
    """
    from memvault.service.embeddings import VectorPipeline
    from memvault.storage import open_store

    path = database_path(home_or_db)
    store = open_store(path)
    try:
        folder = vault_path(home_or_db) if vault is not False else None
        if vault is None and store.get_setting(VAULT_SETTING) == "off":
            folder = None
        vectors = VectorPipeline(
            store, embedder=embedder, storage=vector_storage, background=background
        )
        try:
            return Vault(store, db_path=path, vectors=vectors, vault_dir=folder)
        except BaseException:
            vectors.close()
            raise
    except BaseException:
        store.close()
        raise


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
