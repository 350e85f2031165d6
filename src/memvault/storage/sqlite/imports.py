"""The import role of the SQLite engine: import links and runs, carried vectors, restores."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import apsw

from memvault.core.errors import MemvaultError
from memvault.core.import_records import ImportLink, ImportOrigin, ImportRun, ImportRunEntry
from memvault.core.records import MemoryRecord
from memvault.core.times import now_iso
from memvault.core.vector_records import VectorStorage
from memvault.storage.sqlite import import_rows, jobs, memory_rows, sync_rows, vectors
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.engine import SqliteEngine

if TYPE_CHECKING:
    from memvault.storage.roles import Matrix


_RUN_COLUMNS = "source, state, checkpoint, imported, updated, unchanged, failed, owner, error"


class SqliteImports(SqliteEngine):
    def import_links(self, source: str, source_ids: Sequence[str]) -> dict[str, ImportLink]:
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                "SELECT source, source_id, memory_id, record_hash, vector FROM import_links"
                " WHERE source = ? AND source_id IN (SELECT value FROM json_each(?))",
                (source, json.dumps(list(source_ids))),
            ).fetchall()
        )
        return {str(row[1]): ImportLink(*row) for row in rows}

    def put_import_links(self, links: Sequence[ImportLink]) -> None:
        if not links:
            return
        at = now_iso()
        self._write(
            lambda conn: conn.executemany(
                "INSERT INTO import_links(source, source_id, memory_id, record_hash, vector,"
                " imported_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(source, source_id) DO UPDATE SET memory_id = excluded.memory_id,"
                " record_hash = excluded.record_hash, vector = excluded.vector,"
                " updated_at = excluded.updated_at",
                [
                    (k.source, k.source_id, k.memory_id, k.record_hash, k.vector, at, at)
                    for k in links
                ],
            )
        )

    def import_origins(self, memory_ids: Sequence[str]) -> dict[str, tuple[ImportOrigin, ...]]:
        return self._read(lambda conn: import_rows.origins_of_many(conn, memory_ids))

    def import_link_count(self, source: str) -> int:
        row: Row | None = self._read(
            lambda conn: conn.execute(
                "SELECT count(*) FROM import_links WHERE source = ?", (source,)
            ).fetchone()
        )
        return int(row[0]) if row else 0

    def import_run(self, source: str) -> ImportRun | None:
        row: Row | None = self._read(
            lambda conn: conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM import_runs WHERE source = ?",
                (source,),
            ).fetchone()
        )
        return None if row is None else ImportRun(*row)

    def import_runs(self, limit: int = 100) -> list[ImportRunEntry]:
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                f"SELECT {_RUN_COLUMNS}, started_at, updated_at FROM import_runs"
                " ORDER BY updated_at DESC, source LIMIT ?",
                (limit,),
            ).fetchall()
        )
        return [ImportRunEntry(ImportRun(*row[:9]), str(row[9]), str(row[10])) for row in rows]

    def save_import_run(self, run: ImportRun) -> None:
        at = now_iso()
        self._write(
            lambda conn: conn.execute(
                "INSERT INTO import_runs(source, state, checkpoint, imported, updated, unchanged,"
                " failed, owner, error, started_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(source) DO UPDATE SET state = excluded.state,"
                " checkpoint = excluded.checkpoint, imported = excluded.imported,"
                " updated = excluded.updated, unchanged = excluded.unchanged,"
                " failed = excluded.failed, owner = excluded.owner, error = excluded.error,"
                " updated_at = excluded.updated_at",
                (
                    run.source,
                    run.state,
                    run.checkpoint,
                    run.imported,
                    run.updated,
                    run.unchanged,
                    run.failed,
                    run.owner,
                    run.error,
                    at,
                    at,
                ),
            )
        )

    def carry_vectors(
        self, memory_ids: Sequence[str], *, model_id: str, storage: VectorStorage, matrix: Matrix
    ) -> int:
        def job(conn: apsw.Connection) -> int:
            pks = [memory_rows.pk_of(conn, memory_id) for memory_id in memory_ids]
            rows = [i for i, pk in enumerate(pks) if pk is not None]
            if not rows:
                return 0
            config = vectors.ensure_config(
                conn, model_id, int(matrix.shape[1]), storage, matrix[rows]
            )
            chosen = [pk for pk in pks if pk is not None]
            vectors.put(conn, config, chosen, matrix[rows])
            jobs.settle(conn, chosen)  # nothing embeds them again
            return len(rows)

        return self._write(job)

    def vectors_of(self, memory_ids: Sequence[str]) -> dict[str, Matrix]:
        def job(conn: apsw.Connection) -> dict[str, Matrix]:
            config = vectors.read_config(conn)
            if config is None:
                return {}
            pks = {memory_rows.pk_of(conn, memory_id): memory_id for memory_id in memory_ids}
            blobs = vectors.vectors_for(conn, [pk for pk in pks if pk is not None])
            return {pks[pk]: vectors.decode(config, blob) for pk, blob in blobs.items()}

        return self._read(job)

    def restore_memories(self, records: Sequence[MemoryRecord], *, embed: bool) -> dict[str, str]:
        def job(conn: apsw.Connection) -> dict[str, str]:
            errors: dict[str, str] = {}
            for record in records:
                try:
                    with conn:  # a savepoint: one bad record does not undo the others
                        sync_rows.put_memory(
                            conn, record.memory, embed=embed, kinds=self.entity_kinds
                        )
                except MemvaultError as exc:
                    errors[record.memory.id] = str(exc)
            for record in records:
                if record.memory.id not in errors:
                    sync_rows.put_relations(conn, record, embed=embed)
            return errors

        return self._write(job)
