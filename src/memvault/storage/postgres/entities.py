"""The entity role of the PostgreSQL engine."""

from __future__ import annotations

from memvault.core.entity_records import EntityKind, EntityMention
from memvault.storage.postgres import entity_rows
from memvault.storage.postgres.engine import PostgresEngine


class PostgresEntities(PostgresEngine):
    def use_entity_kinds(self, kinds: frozenset[EntityKind]) -> None:
        self.entity_kinds = frozenset(kinds)

    def get_entity(self, key: str) -> EntityMention | None:
        return self._read(lambda conn: entity_rows.get(conn, key))
