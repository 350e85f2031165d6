"""The memory role of the PostgreSQL engine: memories as records, with their history."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from memvault.core.errors import ConflictError
from memvault.core.records import (
    Edge,
    InsertOutcome,
    ListOrder,
    Memory,
    MemoryFilter,
    MemoryPatch,
    MemoryRecord,
    Relation,
)
from memvault.storage import entity_links, memory_filter
from memvault.storage.postgres import graph, import_rows, jobs, memory_rows, vectors
from memvault.storage.postgres.engine import Connection, PostgresEngine


class PostgresMemories(PostgresEngine):
    def insert_memories(
        self, memories: Sequence[Memory], *, embed: bool = False
    ) -> list[InsertOutcome]:
        # Entities found here, in the caller's thread, not inside the write transaction: the
        # lock is held no longer for them, and other callers extract while this one writes.
        found = entity_links.entities_of(memories, self.entity_kinds)

        def job(conn: Connection) -> list[InsertOutcome]:
            inserted = memory_rows.insert_many(
                conn, memories, kinds=self.entity_kinds, entities=found
            )
            if embed:
                jobs.enqueue(conn, [pk for _, pk in inserted if pk is not None])
            return [outcome for outcome, _ in inserted]

        return self._write(job) if memories else []

    def get_memory(self, memory_id: str, *, touch_at: str | None = None) -> Memory | None:
        if touch_at is None:
            return self._read(lambda conn: memory_rows.fetch(conn, memory_id))

        def job(conn: Connection) -> Memory | None:
            pk = memory_rows.pk_of(conn, memory_id)
            if pk is None:
                return None
            memory_rows.touch(conn, pk, touch_at)
            return memory_rows.fetch(conn, memory_id)

        return self._write(job)

    def memories_by_id(self, ids: Sequence[str]) -> dict[str, Memory]:
        return self._read(lambda conn: memory_rows.fetch_many(conn, ids))

    def memory_records(self, ids: Sequence[str]) -> dict[str, MemoryRecord]:
        def job(conn: Connection) -> dict[str, MemoryRecord]:
            found = {}
            for memory_id in ids:
                memory = memory_rows.fetch(conn, memory_id)
                if memory is not None:
                    found[memory_id] = MemoryRecord(
                        memory,
                        tuple(graph.outgoing_edges(conn, memory_id)),
                        tuple(graph.validations(conn, memory_id)),
                        import_rows.origins_of(conn, memory_id),
                    )
            return found

        return self._read(job)

    def list_memories(
        self,
        where: MemoryFilter,
        *,
        limit: int,
        offset: int = 0,
        order: ListOrder = ListOrder.RECENT,
    ) -> list[Memory]:
        condition, params = memory_rows.filter_sql(where)
        sql = (
            f"SELECT {memory_rows.MEMORY_COLUMNS} FROM memories m WHERE {condition}"
            f" ORDER BY {memory_filter.order_sql(order)} LIMIT %s OFFSET %s"
        )
        return self._read(
            lambda conn: [
                memory_rows.memory_from_row(r) for r in conn.execute(sql, (*params, limit, offset))
            ]
        )

    def update_memory(
        self, memory_id: str, patch: MemoryPatch, updated_at: str, *, embed: bool = False
    ) -> Memory:
        def job(conn: Connection) -> Memory:
            pk = memory_rows.require(conn, memory_id)
            try:
                memory_rows.update(conn, pk, patch, updated_at, kinds=self.entity_kinds)
            except psycopg.errors.UniqueViolation as exc:
                raise ConflictError(
                    "another current memory in this namespace already has that content"
                ) from exc
            if patch.content is not None:
                vectors.delete(conn, pk)  # a vector of the old text would mislead searches
                jobs.requeue(conn, pk, embed=embed)
            updated = memory_rows.fetch(conn, memory_id)
            assert updated is not None
            return updated

        return self._write(job)

    def delete_memory(self, memory_id: str) -> bool:
        def job(conn: Connection) -> bool:
            pk = memory_rows.pk_of(conn, memory_id)
            if pk is None:
                return False
            memory_rows.delete(conn, pk)
            return True

        return self._write(job)

    def supersede(self, old_id: str, new_id: str, at: str) -> None:
        def job(conn: Connection) -> None:
            memory_rows.require(conn, old_id)
            memory_rows.require(conn, new_id)
            if old_id == new_id:
                raise ConflictError("a memory cannot supersede itself")
            conn.execute(
                "UPDATE memories SET valid_to = %s, superseded_by = %s, updated_at = %s"
                " WHERE id = %s",
                (at, new_id, at, old_id),
            )
            graph.put_edge(conn, Edge(new_id, old_id, Relation.SUPERSEDES, 1.0, {}, at))

        self._write(job)
