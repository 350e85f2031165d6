"""What imports, verify and export keep."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from memvault.core.import_records import ImportLink, ImportOrigin, ImportRun, ImportRunEntry
from memvault.core.records import (
    MemoryRecord,
)
from memvault.core.vector_records import (
    VectorStorage,
)

if TYPE_CHECKING:
    from memvault.storage.roles.common import Matrix


class ImportLedger(Protocol):
    """What imports, verify and export keep: links, runs, carried vectors, exact restores."""

    def import_links(self, source: str, source_ids: Sequence[str]) -> dict[str, ImportLink]: ...

    def put_import_links(self, links: Sequence[ImportLink]) -> None: ...

    def import_link_count(self, source: str) -> int: ...

    def import_origins(self, memory_ids: Sequence[str]) -> dict[str, tuple[ImportOrigin, ...]]:
        """The links of these memories, as their files carry them (memories without any are
        left out)."""
        ...

    def import_run(self, source: str) -> ImportRun | None: ...

    def save_import_run(self, run: ImportRun) -> None: ...

    def import_runs(self, limit: int = 100) -> list[ImportRunEntry]:
        """Every source's run (one per source), the one that moved last first."""
        ...

    def carry_vectors(
        self, memory_ids: Sequence[str], *, model_id: str, storage: VectorStorage, matrix: Matrix
    ) -> int:
        """Store vectors a source brought (same model as the vault's); their jobs are settled."""
        ...

    def vectors_of(self, memory_ids: Sequence[str]) -> dict[str, Matrix]:
        """Stored vectors as float32 (int8 scaled back, bit codes as ±1)."""
        ...

    def restore_memories(self, records: Sequence[MemoryRecord], *, embed: bool) -> dict[str, str]:
        """Put memories back exactly as exported (ids, times, edges, validations); errors by
        id."""
        ...
