"""The vector half of the import role (PostgreSQL): vectors carried over from another store, and
a store's vectors read out for an export. The rest of ``ImportLedger`` (links, runs, restores)
is the import module's; these two are vector writes and reads, so they live with the vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from memvault.core.vector_records import VectorStorage
from memvault.storage.postgres import jobs, vectors
from memvault.storage.postgres.engine import Connection, PostgresEngine

if TYPE_CHECKING:
    from memvault.storage.roles import Matrix


class PostgresVectorImports(PostgresEngine):
    def carry_vectors(
        self, memory_ids: Sequence[str], *, model_id: str, storage: VectorStorage, matrix: Matrix
    ) -> int:
        def job(conn: Connection) -> int:
            pk_of = _pks(conn, memory_ids)
            rows = [i for i, memory_id in enumerate(memory_ids) if memory_id in pk_of]
            if not rows:
                return 0
            config = vectors.ensure_config(
                conn, model_id, int(matrix.shape[1]), storage, matrix[rows]
            )
            chosen = [pk_of[memory_ids[i]] for i in rows]
            vectors.put(conn, config, chosen, matrix[rows])
            jobs.settle(conn, chosen)  # nothing embeds them again
            return len(rows)

        return self._write(job)

    def vectors_of(self, memory_ids: Sequence[str]) -> dict[str, Matrix]:
        def job(conn: Connection) -> dict[str, Matrix]:
            config = vectors.read_config(conn)
            if config is None:
                return {}
            id_of = {pk: memory_id for memory_id, pk in _pks(conn, memory_ids).items()}
            found = vectors.vectors_for(conn, config, list(id_of))
            return {id_of[pk]: vector for pk, vector in found.items()}

        return self._read(job)


def _pks(conn: Connection, memory_ids: Sequence[str]) -> dict[str, int]:
    """memory id → pk, for the ids that name a memory."""
    rows = conn.execute("SELECT id, pk FROM memories WHERE id = ANY(%s)", (list(memory_ids),))
    return {str(memory_id): int(pk) for memory_id, pk in rows}
