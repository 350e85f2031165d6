"""The import role of the PostgreSQL engine: import links and runs, restores.

The port of the SQLite engine's ``imports.py``; carrying a source's vectors over
(``carry_vectors``, ``vectors_of``) belongs with the vector tables and is written there. A
restored record that cannot be taken is undone by a savepoint (``conn.transaction()`` nested in
the unit of work), as ``with conn:`` does in SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

from memvault.core.errors import MemvaultError
from memvault.core.import_records import ImportLink, ImportOrigin, ImportRun, ImportRunEntry
from memvault.core.records import MemoryRecord
from memvault.core.times import now_iso
from memvault.storage.postgres import import_rows, sync_rows
from memvault.storage.postgres.engine import Connection, PostgresEngine

_PUT_LINK = (
    "INSERT INTO import_links(source, source_id, memory_id, record_hash, vector,"
    " imported_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT(source, source_id) DO UPDATE SET memory_id = excluded.memory_id,"
    " record_hash = excluded.record_hash, vector = excluded.vector,"
    " updated_at = excluded.updated_at"
)
_SAVE_RUN = (
    "INSERT INTO import_runs(source, state, checkpoint, imported, updated, unchanged,"
    " failed, owner, error, started_at, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT(source) DO UPDATE SET state = excluded.state,"
    " checkpoint = excluded.checkpoint, imported = excluded.imported,"
    " updated = excluded.updated, unchanged = excluded.unchanged,"
    " failed = excluded.failed, owner = excluded.owner, error = excluded.error,"
    " updated_at = excluded.updated_at"
)


_RUN_COLUMNS = "source, state, checkpoint, imported, updated, unchanged, failed, owner, error"


class PostgresImports(PostgresEngine):
    def import_links(self, source: str, source_ids: Sequence[str]) -> dict[str, ImportLink]:
        if not source_ids:
            return {}
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT source, source_id, memory_id, record_hash, vector FROM import_links"
                " WHERE source = %s AND source_id = ANY(%s)",
                (source, list(source_ids)),
            ).fetchall()
        )
        return {str(row[1]): ImportLink(*row) for row in rows}

    def put_import_links(self, links: Sequence[ImportLink]) -> None:
        if not links:
            return
        at = now_iso()

        def job(conn: Connection) -> None:
            with conn.cursor() as cur:
                cur.executemany(
                    _PUT_LINK,
                    [
                        (k.source, k.source_id, k.memory_id, k.record_hash, k.vector, at, at)
                        for k in links
                    ],
                )

        self._write(job)

    def import_origins(self, memory_ids: Sequence[str]) -> dict[str, tuple[ImportOrigin, ...]]:
        return self._read(lambda conn: import_rows.origins_of_many(conn, memory_ids))

    def import_link_count(self, source: str) -> int:
        row = self._read(
            lambda conn: conn.execute(
                "SELECT count(*) FROM import_links WHERE source = %s", (source,)
            ).fetchone()
        )
        return int(row[0]) if row else 0

    def import_run(self, source: str) -> ImportRun | None:
        row = self._read(
            lambda conn: conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM import_runs WHERE source = %s",
                (source,),
            ).fetchone()
        )
        return None if row is None else ImportRun(*row)

    def import_runs(self, limit: int = 100) -> list[ImportRunEntry]:
        rows = self._read(
            lambda conn: conn.execute(
                f"SELECT {_RUN_COLUMNS}, started_at, updated_at FROM import_runs"
                " ORDER BY updated_at DESC, source LIMIT %s",
                (limit,),
            ).fetchall()
        )
        return [ImportRunEntry(ImportRun(*row[:9]), str(row[9]), str(row[10])) for row in rows]

    def save_import_run(self, run: ImportRun) -> None:
        at = now_iso()
        values = (
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
        )
        self._write(lambda conn: conn.execute(_SAVE_RUN, values))

    def restore_memories(self, records: Sequence[MemoryRecord], *, embed: bool) -> dict[str, str]:
        def job(conn: Connection) -> dict[str, str]:
            errors: dict[str, str] = {}
            for record in records:
                try:
                    with conn.transaction():  # a savepoint: one bad record does not undo others
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
