"""The entity role of the SQLite engine."""

from __future__ import annotations

from memvault.core.entity_records import (
    EntityCount,
    EntityKind,
    EntityMention,
    EntitySummary,
    SharedEntities,
)
from memvault.core.records import MemoryFilter
from memvault.storage import entity_reads
from memvault.storage.sqlite import entity_rows
from memvault.storage.sqlite.engine import SqliteEngine


class SqliteEntities(SqliteEngine):
    def use_entity_kinds(self, kinds: frozenset[EntityKind]) -> None:
        self.entity_kinds = frozenset(kinds)

    def get_entity(self, key: str) -> EntityMention | None:
        return self._read(lambda conn: entity_rows.get(conn, key))

    def entity_counts(
        self, where: MemoryFilter, *, kind: EntityKind | None = None, limit: int
    ) -> list[EntityCount]:
        return self._read(
            lambda conn: entity_reads.counts(
                lambda q: entity_rows.run(conn, q), where, kind, limit, "?"
            )
        )

    def entity_summary(
        self, key: str, where: MemoryFilter, *, notes: int, related: int
    ) -> EntitySummary | None:
        return self._read(
            lambda conn: entity_reads.summary(
                lambda q: entity_rows.run(conn, q),
                key,
                where,
                notes=notes,
                related=related,
                mark="?",
            )
        )

    def sharing_entities(
        self, memory_id: str, where: MemoryFilter, *, limit: int
    ) -> list[SharedEntities]:
        return self._read(
            lambda conn: entity_reads.sharing(
                lambda q: entity_rows.run(conn, q), memory_id, where, limit, "?"
            )
        )
