"""The part of :class:`~memvault.service.vault.Vault` about entities themselves
(docs/entities.md): the entities of a vault with their counts, an entity's page, and the
memories that share entities with one. A mixin only to keep ``vault.py`` readable; it uses the
vault's store. Names go through ``entity_key``, so any spelling finds an entity.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING

from memvault.content.entities import entity_keys
from memvault.core import inputs
from memvault.core.entity_records import EntityCount, EntityKind, EntitySummary
from memvault.core.errors import InvalidInputError, NotFoundError
from memvault.core.records import Memory, MemoryFilter

if TYPE_CHECKING:
    from memvault.storage.roles import Store

NOTES_SHOWN = 50  # notes an entity page names: a page, not an inventory
RELATED_SHOWN = 20  # co-occurring entities an entity page names


@dataclass(frozen=True, slots=True)
class EntityPage:
    """An entity, what is known of it (``summary``) and a page of the memories that mention it,
    newest first (``offset`` of them skipped)."""

    summary: EntitySummary
    memories: tuple[Memory, ...]
    offset: int

    @property
    def more(self) -> bool:
        return self.offset + len(self.memories) < self.summary.memories


@dataclass(frozen=True, slots=True)
class EntityNeighbour:
    """A memory that mentions ``shared`` of the entities another memory mentions."""

    memory: Memory
    shared: int


def entity_kind(value: str | EntityKind | None) -> EntityKind | None:
    if value is None:
        return None
    try:
        return EntityKind(str(value).strip().lower())
    except ValueError as exc:
        known = ", ".join(kind.value for kind in EntityKind)
        raise InvalidInputError(f"entity kind {value!r} is not one of: {known}") from exc


def _own(namespace: str | None) -> MemoryFilter:
    """Memories of their own (not chunks, not messages), current, in ``namespace`` if given."""
    chosen = None if namespace is None else inputs.namespace(namespace)
    return MemoryFilter(namespace=chosen, include_chunks=False)


class VaultEntities:
    if TYPE_CHECKING:
        _store: Store

    def entities(
        self,
        *,
        kind: str | EntityKind | None = None,
        namespace: str | None = None,
        limit: int = 50,
    ) -> builtins.list[EntityCount]:
        """Entities with how many memories mention them, most mentioned first."""
        inputs.positive(limit, "limit", 10_000)
        return self._store.entity_counts(_own(namespace), kind=entity_kind(kind), limit=limit)

    def entity(
        self, name: str, *, namespace: str | None = None, limit: int = 20, offset: int = 0
    ) -> EntityPage:
        """The entity ``name`` (any spelling) and a page of the memories mentioning it, newest
        first; NotFoundError when no memory ever named it."""
        [key] = entity_keys([name])
        inputs.positive(limit, "limit", 1_000)
        inputs.count(offset, "offset")
        where = _own(namespace)
        summary = self._store.entity_summary(key, where, notes=NOTES_SHOWN, related=RELATED_SHOWN)
        if summary is None:
            raise NotFoundError(f"no entity {name!r}: no memory mentions it")
        shown = self._store.list_memories(
            MemoryFilter(namespace=where.namespace, entities=(key,), include_chunks=False),
            limit=limit,
            offset=offset,
        )
        return EntityPage(summary, tuple(shown), offset)

    def entity_neighbours(
        self, memory_id: str, *, limit: int = 20
    ) -> builtins.list[EntityNeighbour]:
        """Memories that mention an entity this one mentions, those sharing the most first
        (then the newest); NotFoundError for an unknown id."""
        memory_id = inputs.memory_id(memory_id)
        inputs.positive(limit, "limit", 10_000)
        if self._store.get_memory(memory_id) is None:
            raise NotFoundError(f"no memory with id {memory_id}")
        shared = self._store.sharing_entities(memory_id, _own(None), limit=limit)
        found = self._store.memories_by_id([s.memory_id for s in shared])
        return [
            EntityNeighbour(found[s.memory_id], s.shared) for s in shared if s.memory_id in found
        ]
