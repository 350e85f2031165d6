"""Memories, their search and their graph: the roles of a memory's own rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from memvault.core.records import (
    Edge,
    InsertOutcome,
    ListOrder,
    Memory,
    MemoryFilter,
    MemoryPatch,
    MemoryRecord,
    Neighbour,
    ValidationEvent,
    Verdict,
)
from memvault.core.terms import QueryTerm
from memvault.storage.roles.common import ConfidenceRule, Ranked

if TYPE_CHECKING:
    from memvault.storage.roles.common import Matrix


class MemoryStore(Protocol):
    """Memories: the records themselves, with their history."""

    def insert_memories(
        self, memories: Sequence[Memory], *, embed: bool = False
    ) -> list[InsertOutcome]:
        """Insert in one transaction; content already current in a namespace is not duplicated.

        With ``embed`` each new memory gets an embed job in the same transaction.
        """
        ...

    def get_memory(self, memory_id: str, *, touch_at: str | None = None) -> Memory | None:
        """Fetch one memory; with ``touch_at`` also record the access (count and time)."""
        ...

    def memories_by_id(self, ids: Sequence[str]) -> dict[str, Memory]:
        """The memories that exist among ``ids`` (missing ones are left out)."""
        ...

    def memory_records(self, ids: Sequence[str]) -> dict[str, MemoryRecord]:
        """Memories with their outgoing edges and validation history (what a file holds)."""
        ...

    def list_memories(
        self,
        where: MemoryFilter,
        *,
        limit: int,
        offset: int = 0,
        order: ListOrder = ListOrder.RECENT,
    ) -> list[Memory]:
        """In ``order``: newest first (``recent``); the most important or confident first; or
        the most accessed first, then the latest accessed (never-accessed last). Ties by id,
        newest first, so pages never overlap."""
        ...

    def update_memory(
        self, memory_id: str, patch: MemoryPatch, updated_at: str, *, embed: bool = False
    ) -> Memory:
        """Apply ``patch``; raises NotFoundError, or ConflictError on duplicate content.

        A content change drops the memory's vector; with ``embed`` it is queued again.
        """
        ...

    def delete_memory(self, memory_id: str) -> bool:
        """Delete a memory with its tags, edges and validation events; False if absent."""
        ...

    def supersede(self, old_id: str, new_id: str, at: str) -> None:
        """Close ``old_id``'s validity at ``at``, point it at ``new_id`` and add the edge."""
        ...


class SearchIndex(Protocol):
    """Ranked memory ids for a query; the caller reads the records of the hits it keeps."""

    def keyword_search(
        self, terms: Sequence[QueryTerm], where: MemoryFilter, *, limit: int
    ) -> list[Ranked]:
        """BM25-ranked (id, score) pairs, best first, for any of ``terms``; ties by id."""
        ...

    def matched_terms(self, terms: Sequence[QueryTerm], ids: Sequence[str]) -> dict[str, int]:
        """For each of ``ids`` that exists, how many of ``terms`` it matches (as keyword search
        matches them: any alternative of a term counts)."""
        ...

    def vector_search(self, query: Matrix, where: MemoryFilter, *, limit: int) -> list[Ranked]:
        """(id, cosine similarity) of the memories nearest a unit ``query`` vector, best first,
        filters applied; never fewer than exist because a filter is selective."""
        ...

    def adjacent_messages(
        self, ids: Sequence[str], where: MemoryFilter, *, span: int
    ) -> dict[str, list[tuple[str, int]]]:
        """For each of ``ids`` that is a message: (id, distance) of the messages at most
        ``span`` positions away in the same conversation that ``where`` admits, nearest first."""
        ...


class GraphStore(Protocol):
    """Typed edges between memories, and the validation events that move confidence."""

    def upsert_edge(self, edge: Edge) -> Edge:
        """Add the edge, or update weight and metadata of the same (source, target, relation);
        NotFoundError when either end does not exist."""
        ...

    def edge_sources(self, memory_id: str) -> list[str]:
        """Memories with an edge pointing at this one."""
        ...

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

    def validation_history(self, memory_id: str) -> list[ValidationEvent]:
        """Oldest first."""
        ...
