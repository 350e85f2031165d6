"""The entities of the work a context pack is about: who and what its handoffs, recent
decisions and lessons, and hits for the query name (docs/entities.md).

An agent starting a session reads the pack's items one by one; the entities they share are the
subject of the work (the service that failed, the function being rewritten, the person asking),
and naming them up front tells the agent what to look up (``memvault entity NAME``, the MCP
``entity`` tool) before it searches blind. They come from the items the pack kept, not from
every candidate, so they describe what the agent is shown, and they cost a few tokens of the
same budget. Preferences and pinned memories are left out of the count: they hold for every
session, not for the work at hand.

Each entity is ranked by how many of those items mention it (a handoff counts as much as its
touched memories do together with it), then by where it first appears; at most ``MAX_NAMED``
are named, each at most ``MAX_NAME_CHARS`` long (a long URL would cost more than it tells).
No model, no extra search: a handoff's text is read by the vault's own extractors and every
memory item carries the entities stored with it, so the same vault gives the same names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from memvault.content.entities import extract_entities
from memvault.core.entity_records import EntityKind, EntityMention, entity_mapping
from memvault.embedding.tokens import compact, count_tokens

WORK_SECTIONS = frozenset({"handoff", "recent", "relevant"})
MAX_NAMED = 10
MAX_NAME_CHARS = 60


@dataclass(frozen=True, slots=True)
class NamedEntity:
    """An entity of the current work and how many of the pack's items mention it."""

    mention: EntityMention
    items: int


def handoff_entities(
    texts: Iterable[str], touched: Iterable[EntityMention], kinds: frozenset[EntityKind]
) -> tuple[EntityMention, ...]:
    """A handoff's entities: what its own words name (read as a memory's text would be), then
    what the memories and notes its session touched mention."""
    found: dict[str, EntityMention] = {}
    for text in texts:
        for mention in extract_entities(text, kinds=kinds):
            found.setdefault(mention.key, mention)
    for mention in touched:
        found.setdefault(mention.key, mention)
    return tuple(found.values())


def named_entities(
    items: Sequence[tuple[str, Sequence[EntityMention]]],
) -> tuple[NamedEntity, ...]:
    """The entities of the work among ``items`` (each its section and its entities), best
    first."""
    counts: dict[str, int] = {}
    first: dict[str, EntityMention] = {}
    for section, mentions in items:
        if section not in WORK_SECTIONS:
            continue
        for key in dict.fromkeys(m.key for m in mentions):
            counts[key] = counts.get(key, 0) + 1
        for mention in mentions:
            if len(mention.name) <= MAX_NAME_CHARS:
                first.setdefault(mention.key, mention)
    order = {key: at for at, key in enumerate(first)}
    ranked = sorted(first, key=lambda key: (-counts[key], order[key]))
    return tuple(NamedEntity(first[key], counts[key]) for key in ranked[:MAX_NAMED])


def naming_tokens(items: Sequence[tuple[str, Sequence[EntityMention]]]) -> int:
    """Tokens that naming the entities of ``items`` takes in a pack's JSON (none: 0)."""
    named = named_entities(items)
    return count_tokens(compact({"entities": as_mapping(named)})) if named else 0


def as_mapping(named: Sequence[NamedEntity]) -> dict[str, list[str]]:
    """Kind -> names (the form a memory's entities take in JSON), best first within a kind."""
    return entity_mapping(n.mention for n in named)


def as_line(named: Sequence[NamedEntity]) -> str:
    """One line for the pack's text: ``parse_config (identifier, 3), Ana (name, 2)``."""
    return ", ".join(f"{n.mention.name} ({n.mention.kind.value}, {n.items})" for n in named)
