"""Entities: who and what a memory mentions, found without a model (``content/entities.py``).

An entity is known by its ``key``, the spelling-free form every way of writing it shares
(``parseConfig``, ``parse_config`` and ``parse-config`` are ``parse_config``; ``@Ana`` and ``Ana``
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
