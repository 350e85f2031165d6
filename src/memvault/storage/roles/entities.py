"""Entities: who and what memories mention (docs/entities.md).

Every write links a memory to its entities in the same transaction (``storage/entity_links.py``
says which); a memory reads them back in ``Memory.entities``, and ``MemoryFilter.entities``
finds the memories that mention one. This role holds what is about entities themselves.
"""

from __future__ import annotations

from typing import Protocol

from memvault.core.entity_records import (
    EntityCount,
    EntityKind,
    EntityMention,
    EntitySummary,
    SharedEntities,
)
from memvault.core.records import MemoryFilter


class EntityIndex(Protocol):
    entity_kinds: frozenset[EntityKind]  # the extractors the writes run now (use_entity_kinds)

    def use_entity_kinds(self, kinds: frozenset[EntityKind]) -> None:
        """The extractors run for memories written without entities of their own, from now on
        (the vault's setting, read once when it opens; every kind until told)."""
        ...

    def get_entity(self, key: str) -> EntityMention | None:
        """The entity with ``key`` (named by its first spelling), if any memory ever named it."""
        ...

    def entity_counts(
        self, where: MemoryFilter, *, kind: EntityKind | None = None, limit: int
    ) -> list[EntityCount]:
        """Entities (of ``kind``, if given: the kind of their first spelling) with how many of
        the memories ``where`` admits mention them, most mentioned first, ties by key."""
        ...

    def entity_summary(
        self, key: str, where: MemoryFilter, *, notes: int, related: int
    ) -> EntitySummary | None:
        """The entity with ``key`` and what its page says beside its memories: how many of the
        memories ``where`` admits mention it, their first and last ``created_at``, at most
        ``notes`` paths of notes whose chunks mention it (in ``where.namespace``, if given) and
        at most ``related`` co-occurring entities, most often first. None for an unknown key."""
        ...

    def sharing_entities(
        self, memory_id: str, where: MemoryFilter, *, limit: int
    ) -> list[SharedEntities]:
        """Memories ``where`` admits that mention an entity ``memory_id`` mentions, by how many
        they share, then newest first; empty for an unknown id."""
        ...
