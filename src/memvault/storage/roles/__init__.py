"""The storage protocols: every way the rest of memvault reads or changes persistent state.

They are split by role, the way callers use them: the embed worker needs the vector queue and
nothing else, a folder sync needs the file index, search needs memories and the search index.
Each caller names the roles it uses, so what a layer may touch is visible in its signature, and
an engine is anything that implements :class:`Store`, the union of the roles.

Everything is expressed in domain records, not rows, so a second engine (PostgreSQL with
pgvector) can implement it and pass the same contract suite (``tests/storage/contract``). Each
method is one atomic unit of work: an engine must run it in a single transaction, which is why
composite operations such as ``supersede`` and ``record_validation`` live here rather than being
assembled by callers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from memvault.storage.roles.common import ConfidenceRule, Ranked
from memvault.storage.roles.entities import EntityIndex
from memvault.storage.roles.files import FileIndex
from memvault.storage.roles.imports import ImportLedger
from memvault.storage.roles.memories import GraphStore, MemoryStore, SearchIndex
from memvault.storage.roles.operations import Operations, Settings
from memvault.storage.roles.sessions import SessionStore
from memvault.storage.roles.vectors import VectorStore

if TYPE_CHECKING:
    from memvault.storage.roles.common import Matrix as Matrix


class Store(
    MemoryStore,
    SearchIndex,
    GraphStore,
    EntityIndex,
    VectorStore,
    FileIndex,
    ImportLedger,
    SessionStore,
    Settings,
    Operations,
    Protocol,
):
    """Every role: what an engine implements and what ``open_store`` returns."""


__all__ = [
    "ConfidenceRule",
    "EntityIndex",
    "FileIndex",
    "GraphStore",
    "ImportLedger",
    "MemoryStore",
    "Operations",
    "Ranked",
    "SearchIndex",
    "SessionStore",
    "Settings",
    "Store",
    "VectorStore",
]
