"""The part of ``SqliteStore`` that serves imports and export (links, runs, carried vectors)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import apsw

from memvault.core.errors import MemvaultError
from memvault.core.import_records import ImportLink, ImportRun
from memvault.core.records import MemoryRecord
from memvault.core.vector_records import VectorStorage
from memvault.storage.sqlite import import_rows, vault_rows

if TYPE_CHECKING:
    from memvault.storage.roles import Matrix

T = TypeVar("T")


class ImportsMixin:
    if TYPE_CHECKING:

        def _read(self, job: Callable[[apsw.Connection], T]) -> T: ...

        def _write(self, job: Callable[[apsw.Connection], T]) -> T: ...

    def import_links(self, source: str, source_ids: Sequence[str]) -> dict[str, ImportLink]:
        return self._read(lambda conn: import_rows.links(conn, source, source_ids))

    def put_import_links(self, links: Sequence[ImportLink]) -> None:
        if links:
            self._write(lambda conn: import_rows.put_links(conn, links))

    def import_link_count(self, source: str) -> int:
        return self._read(lambda conn: import_rows.link_count(conn, source))

    def import_run(self, source: str) -> ImportRun | None:
        return self._read(lambda conn: import_rows.get_run(conn, source))

    def save_import_run(self, run: ImportRun) -> None:
        self._write(lambda conn: import_rows.save_run(conn, run))

    def carry_vectors(
        self, memory_ids: Sequence[str], *, model_id: str, storage: VectorStorage, matrix: Matrix
    ) -> int:
        """Store vectors a source brought (same model as the vault's); their jobs are settled."""
        return self._write(
            lambda conn: import_rows.carry(conn, memory_ids, model_id, storage, matrix)
        )

    def vectors_of(self, memory_ids: Sequence[str]) -> dict[str, Matrix]:
        return self._read(lambda conn: import_rows.vectors_of(conn, memory_ids))

    def restore_memories(self, records: Sequence[MemoryRecord], *, embed: bool) -> dict[str, str]:
        """Put memories back exactly as exported (ids, times, edges, validations); errors by id."""

        def job(conn: apsw.Connection) -> dict[str, str]:
            errors: dict[str, str] = {}
            for record in records:
                try:
                    with conn:
                        vault_rows.put_memory(conn, record.memory, embed=embed)
                except MemvaultError as exc:
                    errors[record.memory.id] = str(exc)
            for record in records:
                if record.memory.id not in errors:
                    vault_rows.put_relations(conn, record)
            return errors

        return self._write(job)
