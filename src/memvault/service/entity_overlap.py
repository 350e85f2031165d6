"""The entity-overlap signal: how many of the entities a query names a candidate names too.

"What did Caroline paint after the LGBTQ parade?" names Caroline and LGBTQ; a turn that names
both is likelier the answer than one that shares only the words. The entities come from the
same extractors as a memory's (``content/entities.py``), so ``parseConfig`` in a query meets
``parse_config`` in a hit. It is a multiplier on the fused score (``FusionSettings.entity_boost``)
and off unless measured to help (docs/fusion.md). A stored memory's own entities are used;
a memory without any (written before the entity schema) has them extracted here.
"""

from __future__ import annotations

from collections.abc import Mapping

from memvault.content.entities import extract_entities
from memvault.core.records import Memory


def query_entities(query: str) -> frozenset[str]:
    """The keys of the entities a query names (its own words, no tags)."""
    return frozenset(mention.key for mention in extract_entities(query))


def entity_shares(wanted: frozenset[str], memories: Mapping[str, Memory]) -> dict[str, float]:
    """Each candidate's share (0-1) of the query's entities; candidates sharing none are left
    out."""
    shares: dict[str, float] = {}
    for memory_id, memory in memories.items():
        found = memory.entities or extract_entities(memory.content, tags=memory.tags)
        named = {mention.key for mention in found}
        shared = len(wanted & named)
        if shared:
            shares[memory_id] = shared / len(wanted)
    return shares
