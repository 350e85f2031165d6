"""Entity reads as records, the same on each engine: the engine hands a ``run`` that executes
one of ``entity_queries``' statements on its connection (within one read) and returns its rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from memvault.core.entity_records import (
    EntityCount,
    EntityKind,
    EntityMention,
    EntitySummary,
    SharedEntities,
)
from memvault.core.records import MemoryFilter
from memvault.storage import entity_queries

Run = Callable[[entity_queries.Query], Sequence[Sequence[Any]]]


def _counted(rows: Sequence[Sequence[Any]]) -> list[EntityCount]:
    return [EntityCount(EntityMention(r[0], r[1], EntityKind(r[2])), int(r[3])) for r in rows]


def counts(
    run: Run, where: MemoryFilter, kind: EntityKind | None, limit: int, mark: str
) -> list[EntityCount]:
    return _counted(run(entity_queries.counts(where, kind, limit, mark)))


def summary(
    run: Run, key: str, where: MemoryFilter, *, notes: int, related: int, mark: str
) -> EntitySummary | None:
    found = run((f"SELECT pk, key, name, kind FROM entities WHERE key = {mark}", [key]))
    if not found:
        return None
    pk, key, name, kind = found[0]
    [(count, first, last)] = run(entity_queries.seen(pk, where, mark))
    paths = run(entity_queries.notes(pk, where.namespace, notes, mark))
    beside = run(entity_queries.co_occurring(pk, where, related, mark))
    return EntitySummary(
        EntityMention(key, name, EntityKind(kind)),
        int(count),
        first,
        last,
        tuple(row[0] for row in paths),
        tuple(_counted(beside)),
    )


def sharing(
    run: Run, memory_id: str, where: MemoryFilter, limit: int, mark: str
) -> list[SharedEntities]:
    rows = run(entity_queries.sharing(memory_id, where, limit, mark))
    return [SharedEntities(row[0], int(row[1])) for row in rows]
