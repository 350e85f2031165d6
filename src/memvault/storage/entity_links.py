"""Which entities a memory is linked to when it is written, the same rule on both engines.

A memory that comes with its entities (``Memory.entities`` a tuple: its file's own list, an
export's, a hand edit's) keeps exactly those; one without (None: a new memory, a chunk, a
message) gets what the vault's extractors find in its text and tags. Either way they are put in
one order (``in_kind_order``), so the index and the file agree. New memories have theirs found
in the caller's thread just before the write is queued (:func:`entities_of`), so the write
lock is not held for them; an update, a synced file or a message has them found inside its
write. Either way they are linked in the write's transaction: an acknowledged write has them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from memvault.content.entities import ALL_KINDS, extract_entities
from memvault.core.entity_records import EntityKind, EntityMention, in_kind_order
from memvault.core.records import Memory

EntityRow = tuple[str, str, str]  # key, name, kind: the first spelling names the entity
LinkRow = tuple[int, int, str, str, str]  # memory pk, position, name, kind, key


def mentions_of(memory: Memory, kinds: frozenset[EntityKind]) -> tuple[EntityMention, ...]:
    if memory.entities is not None:
        return in_kind_order(memory.entities)
    return extracted(memory.content, memory.tags, kinds)


def entities_of(
    memories: Sequence[Memory], kinds: frozenset[EntityKind]
) -> list[tuple[EntityMention, ...]]:
    """The entities of each of ``memories`` (:func:`mentions_of`), in their order: found in
    the caller's thread and handed to the write beside the memories (a copy of each memory
    with its entities cost more than the links' own SQL)."""
    return [mentions_of(m, kinds) for m in memories]


def extracted(
    content: str, tags: Sequence[str], kinds: frozenset[EntityKind]
) -> tuple[EntityMention, ...]:
    if not kinds:
        return ()
    return in_kind_order(extract_entities(content, tags=tags, kinds=kinds))


def found_in(
    rows: Iterable[tuple[int, str, Sequence[str]]], kinds: frozenset[EntityKind] = ALL_KINDS
) -> list[tuple[int, tuple[EntityMention, ...]]]:
    """The entities of stored memories (pk, text, tags) as the write path would find them: what
    an upgrade links for the memories written before entities existed."""
    return [(pk, extracted(content, tags, kinds)) for pk, content, tags in rows]


def rows_of(
    linked: Iterable[tuple[int, Sequence[EntityMention]]],
) -> tuple[list[EntityRow], list[LinkRow]]:
    """The entity rows (each key once) and link rows of several memories: what two statements
    (one per table) insert for a whole batch."""
    entities: dict[str, EntityRow] = {}
    links: list[LinkRow] = []
    for pk, mentions in linked:
        for position, mention in enumerate(mentions):
            entities.setdefault(mention.key, (mention.key, mention.name, mention.kind.value))
            links.append((pk, position, mention.name, mention.kind.value, mention.key))
    return list(entities.values()), links


def mentions_from_rows(rows: Iterable[Sequence[str]] | None) -> tuple[EntityMention, ...]:
    """A memory's entities as its row reads them: (key, name, kind) in their stored order."""
    return tuple(EntityMention(str(r[0]), str(r[1]), EntityKind(r[2])) for r in rows or ())


__all__ = [
    "ALL_KINDS",
    "entities_of",
    "extracted",
    "found_in",
    "in_kind_order",
    "mentions_from_rows",
    "mentions_of",
    "rows_of",
]
