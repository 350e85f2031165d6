"""Entities: who and what a memory mentions, found without a model (``content/entities.py``).

An entity is known by its ``key``, the spelling-free form every way of writing it shares
(``parseConfig``, ``parse_config`` and ``parse-config`` are ``parseconfig``; ``@Ana`` and ``Ana``
are ``ana``), so two memories that name the same thing meet whatever their spelling. ``name`` is
how it was first written, for people; ``kind`` what the extractor took it for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class EntityKind(StrEnum):
    MENTION = "mention"  # @ana
    TAG = "tag"  # #deploy in the text, or one of the memory's own tags
    IDENTIFIER = "identifier"  # parse_config, parseConfig, memvault.core.terms, load()
    PATH = "path"  # src/memvault/core/terms.py, ./scripts/run.sh
    URL = "url"  # https://example.com/docs
    ISSUE = "issue"  # #123, GH-123, owner/repo#45, PROJ-812
    VERSION = "version"  # v2.3.1, 1.0.0-rc1
    NAME = "name"  # Ana Lopez, PostgreSQL, New York


@dataclass(frozen=True, slots=True)
class EntityMention:
    """One entity as a text mentions it."""

    key: str
    name: str
    kind: EntityKind


KIND_ORDER = {kind: rank for rank, kind in enumerate(EntityKind)}


def in_kind_order(mentions: Iterable[EntityMention]) -> tuple[EntityMention, ...]:
    """Each key once (its first mention), grouped by kind in ``EntityKind``'s order, in their
    order within a kind: the one order a memory's entities are stored, rendered and read back
    in, so a file and the index agree whatever order a person wrote them in."""
    seen: dict[str, EntityMention] = {}
    for mention in mentions:
        seen.setdefault(mention.key, mention)
    return tuple(sorted(seen.values(), key=lambda m: KIND_ORDER[m.kind]))


def entity_mapping(mentions: Iterable[EntityMention]) -> dict[str, list[str]]:
    """Kind -> names, the readable form of a memory's entities (front matter, JSON answers)."""
    grouped: dict[str, list[str]] = {}
    for mention in in_kind_order(mentions):
        grouped.setdefault(mention.kind.value, []).append(mention.name)
    return grouped


@dataclass(frozen=True, slots=True)
class EntityCount:
    """An entity and how many memories mention it (``memvault entities``), or how many mention
    it beside another (an entity page's co-occurring entities)."""

    entity: EntityMention
    memories: int

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.entity.key,
            "name": self.entity.name,
            "kind": self.entity.kind.value,
            "memories": self.memories,
        }


@dataclass(frozen=True, slots=True)
class EntitySummary:
    """What an entity page says beside its memories: how many mention it, when it was first and
    last seen (the linked memories' ``created_at``), the notes whose chunks mention it and the
    entities mentioned beside it, most often first."""

    entity: EntityMention
    memories: int
    first_seen: str | None
    last_seen: str | None
    notes: tuple[str, ...]
    co_occurring: tuple[EntityCount, ...]


@dataclass(frozen=True, slots=True)
class SharedEntities:
    """A memory reached from another through the entities both mention (``neighbours
    --via-entities``): ``shared`` of them."""

    memory_id: str
    shared: int
