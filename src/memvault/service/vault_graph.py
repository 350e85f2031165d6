"""The part of :class:`~memvault.service.vault.Vault` about the graph: typed edges between
memories, and validations that move a memory's confidence. A mixin only to keep ``vault.py``
readable; it uses the vault's store and its guard around changes (``_changing``).
"""

from __future__ import annotations

import builtins
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from memvault.core import inputs
from memvault.core.confidence import next_confidence
from memvault.core.errors import InvalidInputError, NotFoundError
from memvault.core.ids import new_id
from memvault.core.records import Edge, Neighbour, Relation, ValidationEvent, Verdict
from memvault.core.times import now_iso
from memvault.service.neighbourhood import (
    GRAPH_NODES,
    Neighbourhood,
    memory_neighbourhood,
    note_neighbourhood,
)

if TYPE_CHECKING:
    from memvault.folder.notes import Notes
    from memvault.storage.roles import Store


class VaultGraph:
    if TYPE_CHECKING:
        _store: Store

        def _changing(
            self, targets: dict[str, str | None], *, new: bool = False
        ) -> AbstractContextManager[None]: ...

        @property
        def notes(self) -> Notes: ...

    # --- graph ----------------------------------------------------------------------------
    def relate(
        self,
        source_id: str,
        target_id: str,
        relation: str = Relation.RELATES_TO,
        *,
        weight: float = 1.0,
        metadata: dict[str, Any] | None = None,
    ) -> Edge:
        """Add (or update) a typed edge ``source -relation-> target``."""
        source_id, target_id = inputs.memory_id(source_id), inputs.memory_id(target_id)
        if source_id == target_id:
            raise InvalidInputError("a memory cannot be related to itself")
        edge = Edge(
            source_id,
            target_id,
            inputs.name(relation, "relation"),
            float(weight),
            inputs.metadata(metadata),
            now_iso(),
        )
        with self._changing({source_id: None}):
            return self._store.upsert_edge(edge)

    def neighbours(
        self, memory_id: str, *, depth: int = 1, relation: str | None = None
    ) -> builtins.list[Neighbour]:
        """Memories linked to this one within ``depth`` edges, nearest first."""
        inputs.positive(depth, "depth", inputs.MAX_GRAPH_DEPTH)
        return self._store.neighbours(
            inputs.memory_id(memory_id),
            depth=depth,
            relation=None if relation is None else inputs.name(relation, "relation"),
        )

    def neighbourhood(
        self, memory_id: str, *, depth: int = 1, limit: int = GRAPH_NODES
    ) -> Neighbourhood:
        """The memory, the memories within ``depth`` edges (nearest first, at most ``limit``
        nodes in all) and every edge between them: what a picture of its graph shows."""
        inputs.positive(limit, "limit", 10_000)
        memory_id = inputs.memory_id(memory_id)
        centre = self._store.get_memory(memory_id)
        if centre is None:
            raise NotFoundError(f"no memory with id {memory_id}")
        reached = self.neighbours(memory_id, depth=depth)
        return memory_neighbourhood(self._store, centre, reached, limit=limit)

    def note_neighbourhood(
        self, path: str, *, depth: int = 1, limit: int = GRAPH_NODES
    ) -> Neighbourhood:
        """The note and the notes within ``depth`` wiki links of it, either way (backlinks
        too), at most ``limit`` in all, with every link between them."""
        inputs.positive(limit, "limit", 10_000)
        return note_neighbourhood(self._store, self.notes, path, depth=depth, limit=limit)

    # --- validation -----------------------------------------------------------------------
    def validate(
        self,
        memory_id: str,
        verdict: Verdict | str,
        *,
        actor: str | None = None,
        note: str | None = None,
    ) -> ValidationEvent:
        """Record that a memory was confirmed, used or refuted; confidence moves by the rule in
        :mod:`memvault.core.confidence`."""
        try:
            verdict = Verdict(str(verdict).lower())
        except ValueError as exc:
            raise InvalidInputError(
                f"verdict {verdict!r} is not one of: {', '.join(v.value for v in Verdict)}"
            ) from exc
        memory_id = inputs.memory_id(memory_id)
        with self._changing({memory_id: None}):
            return self._store.record_validation(
                memory_id,
                verdict,
                rule=next_confidence,
                actor=inputs.source(actor),
                note=inputs.source(note),
                event_id=new_id(),
                at=now_iso(),
            )

    def validation_history(self, memory_id: str) -> builtins.list[ValidationEvent]:
        return self._store.validation_history(inputs.memory_id(memory_id))
