"""The storage protocol: every way the rest of memvault reads or changes persistent state.

It is deliberately expressed in domain records, not rows, so a second engine (PostgreSQL with
pgvector) can implement it and pass the same tests. Each method is one atomic unit of work: an
engine must run it in a single transaction, which is why composite operations such as
``supersede`` and ``record_validation`` live here rather than being assembled by callers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from memvault.models import (
    CheckReport,
    Edge,
    InsertOutcome,
    Memory,
    MemoryFilter,
    MemoryPatch,
    Neighbour,
    SearchHit,
    StoreStats,
    ValidationEvent,
    Verdict,
)
from memvault.text import QueryTerm

ConfidenceRule = Callable[[float, Verdict], float]


class Store(Protocol):
    @property
    def location(self) -> str:
        """Where the data lives, for messages (a file path or a redacted URL)."""
        ...

    def close(self) -> None: ...

    # --- memories -------------------------------------------------------------------------
    def insert_memories(self, memories: Sequence[Memory]) -> list[InsertOutcome]:
        """Insert in one transaction; content already current in a namespace is not duplicated."""
        ...

    def get_memory(self, memory_id: str, *, touch_at: str | None = None) -> Memory | None:
        """Fetch one memory; with ``touch_at`` also record the access (count and time)."""
        ...

    def update_memory(self, memory_id: str, patch: MemoryPatch, updated_at: str) -> Memory:
        """Apply ``patch``; raises NotFoundError, or ConflictError on duplicate content."""
        ...

    def delete_memory(self, memory_id: str) -> bool:
        """Delete a memory with its tags, edges and validation events; False if absent."""
        ...

    def list_memories(self, where: MemoryFilter, *, limit: int, offset: int = 0) -> list[Memory]:
        """Newest first."""
        ...

    def supersede(self, old_id: str, new_id: str, at: str) -> None:
        """Close ``old_id``'s validity at ``at``, point it at ``new_id`` and add the edge."""
        ...

    # --- search ---------------------------------------------------------------------------
    def keyword_search(
        self, terms: Sequence[QueryTerm], where: MemoryFilter, *, limit: int
    ) -> list[SearchHit]:
        """BM25-ranked hits (best first) for any of ``terms``."""
        ...

    # --- graph and validation -------------------------------------------------------------
    def upsert_edge(self, edge: Edge) -> Edge: ...

    def delete_edge(self, source_id: str, target_id: str, relation: str) -> bool: ...

    def neighbours(
        self, memory_id: str, *, depth: int, relation: str | None = None
    ) -> list[Neighbour]:
        """Memories within ``depth`` edges of ``memory_id`` (either direction), nearest first."""
        ...

    def record_validation(
        self,
        memory_id: str,
        verdict: Verdict,
        *,
        rule: ConfidenceRule,
        actor: str | None,
        note: str | None,
        event_id: str,
        at: str,
    ) -> ValidationEvent:
        """Apply ``rule`` to the memory's current confidence and log the event, atomically."""
        ...

    def validation_history(self, memory_id: str) -> list[ValidationEvent]: ...

    # --- operations -----------------------------------------------------------------------
    def stats(self) -> StoreStats: ...

    def check(self) -> CheckReport: ...
