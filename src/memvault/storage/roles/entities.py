"""Entities: who and what memories mention (docs/entities.md).

Every write links a memory to its entities in the same transaction (``storage/entity_links.py``
says which); a memory reads them back in ``Memory.entities``, and ``MemoryFilter.entities``
finds the memories that mention one. This role holds what is about entities themselves.
"""

from __future__ import annotations

from typing import Protocol

from memvault.core.entity_records import EntityKind, EntityMention


class EntityIndex(Protocol):
    def use_entity_kinds(self, kinds: frozenset[EntityKind]) -> None:
        """The extractors run for memories written without entities of their own, from now on
        (the vault's setting, read once when it opens; every kind until told)."""
        ...

    def get_entity(self, key: str) -> EntityMention | None:
        """The entity with ``key`` (named by its first spelling), if any memory ever named it."""
        ...
