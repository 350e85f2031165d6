"""The storage protocol: every way the rest of memvault reads or changes persistent state.

It is deliberately expressed in domain records, not rows, so a second engine (PostgreSQL with
pgvector) can implement it and pass the same tests. Each method is one atomic unit of work: an
engine must run it in a single transaction, which is why composite operations such as
``supersede`` and ``record_validation`` live here rather than being assembled by callers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeAlias

from memvault.core.file_records import (
    FileKind,
    FileRecord,
    FileState,
    IndexRun,
    LinkView,
    NoteLink,
    PendingWrite,
)
from memvault.core.import_records import ImportLink, ImportRun
from memvault.core.records import (
    CheckReport,
    Edge,
    InsertOutcome,
    Memory,
    MemoryFilter,
    MemoryPatch,
    MemoryRecord,
    Neighbour,
    SearchHit,
    StoreStats,
    ValidationEvent,
    Verdict,
)
from memvault.core.terms import QueryTerm
from memvault.core.vector_records import (
    EmbedTask,
    JobCounts,
    JobFailure,
    VectorConfig,
    VectorStorage,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Matrix: TypeAlias = npt.NDArray[np.float32]  # (n, d) or (d,), float32, unit length

ConfidenceRule = Callable[[float, Verdict], float]


class Store(Protocol):
    @property
    def location(self) -> str:
        """Where the data lives, for messages (a file path or a redacted URL)."""
        ...

    def close(self) -> None: ...

    # --- memories -------------------------------------------------------------------------
    def insert_memories(
        self, memories: Sequence[Memory], *, embed: bool = False
    ) -> list[InsertOutcome]:
        """Insert in one transaction; content already current in a namespace is not duplicated.

        With ``embed`` each new memory gets an embed job in the same transaction.
        """
        ...

    def get_memory(self, memory_id: str, *, touch_at: str | None = None) -> Memory | None:
        """Fetch one memory; with ``touch_at`` also record the access (count and time)."""
        ...

    def update_memory(
        self, memory_id: str, patch: MemoryPatch, updated_at: str, *, embed: bool = False
    ) -> Memory:
        """Apply ``patch``; raises NotFoundError, or ConflictError on duplicate content.

        A content change drops the memory's vector; with ``embed`` it is queued again.
        """
        ...

    def delete_memory(self, memory_id: str) -> bool:
        """Delete a memory with its tags, edges and validation events; False if absent."""
        ...

    def list_memories(self, where: MemoryFilter, *, limit: int, offset: int = 0) -> list[Memory]:
        """Newest first."""
        ...

    def supersede(self, old_id: str, new_id: str, at: str) -> None:
        """Close ``old_id``'s validity at ``at``, point it at ``new_id`` and add the edge."""
        ...

    # --- search ---------------------------------------------------------------------------
    def keyword_search(
        self, terms: Sequence[QueryTerm], where: MemoryFilter, *, limit: int
    ) -> list[SearchHit]:
        """BM25-ranked hits (best first) for any of ``terms``."""
        ...

    def vector_search(self, query: Matrix, where: MemoryFilter, *, limit: int) -> list[SearchHit]:
        """Nearest memories to a unit ``query`` vector (best first), approximately exact."""
        ...

    def keyword_ranking(
        self, terms: Sequence[QueryTerm], where: MemoryFilter, *, limit: int
    ) -> list[tuple[str, float]]:
        """``keyword_search`` as (memory id, score) pairs: no records built (for fusion)."""
        ...

    def vector_ranking(
        self, query: Matrix, where: MemoryFilter, *, limit: int
    ) -> list[tuple[str, float]]:
        """``vector_search`` as (memory id, similarity) pairs."""
        ...

    def memories_by_id(self, ids: Sequence[str]) -> dict[str, Memory]: ...

    # --- vectors and the embedding job queue --------------------------------------------------
    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...

    def vector_config(self) -> VectorConfig | None:
        """The model and storage of the vault's vectors; None before the first vector."""
        ...

    def enqueue_missing_embeddings(self) -> int:
        """Queue an embed job for every memory with no vector and no job; returns how many."""
        ...

    def running_job_owners(self) -> list[str]: ...

    def claim_embed_jobs(
        self,
        owner: str,
        *,
        limit: int,
        lease_seconds: float,
        dead_owners: Sequence[str] = (),
        max_attempts: int = 5,
    ) -> list[EmbedTask]:
        """Atomically lease up to ``limit`` ready jobs; leases of ``dead_owners`` are void.

        A job already claimed ``max_attempts`` times without an outcome is parked as failed.
        """
        ...

    def store_embeddings(
        self,
        owner: str,
        *,
        model_id: str,
        storage: VectorStorage,
        job_ids: Sequence[int],
        embeddings: Matrix,
    ) -> int:
        """Write the vectors of jobs ``owner`` still holds and mark them done; returns how many.

        Raises ModelMismatchError if the vault's vectors come from another model.
        """
        ...

    def fail_embed_jobs(
        self,
        owner: str,
        job_ids: Sequence[int],
        error: str,
        *,
        max_attempts: int,
        backoff_seconds: float,
    ) -> None: ...

    def release_jobs(self, owner: str) -> None: ...

    def retry_failed_jobs(self) -> int: ...

    def job_counts(self) -> JobCounts: ...

    def has_pending_jobs(self) -> bool:
        """Whether any job is queued or running (cheap, unlike ``job_counts``)."""
        ...

    def job_failures(self, limit: int) -> list[JobFailure]: ...

    def reset_vectors(self) -> None:
        """Drop every vector and job (a re-embed starts from here)."""
        ...

    # --- graph and validation -------------------------------------------------------------
    def upsert_edge(self, edge: Edge) -> Edge: ...

    def delete_edge(self, source_id: str, target_id: str, relation: str) -> bool: ...

    def neighbours(
        self, memory_id: str, *, depth: int, relation: str | None = None
    ) -> list[Neighbour]:
        """Memories within ``depth`` edges of ``memory_id`` (either direction), nearest first."""
        ...

    def record_validation(
        self,
        memory_id: str,
        verdict: Verdict,
        *,
        rule: ConfidenceRule,
        actor: str | None,
        note: str | None,
        event_id: str,
        at: str,
    ) -> ValidationEvent:
        """Apply ``rule`` to the memory's current confidence and log the event, atomically."""
        ...

    def validation_history(self, memory_id: str) -> list[ValidationEvent]: ...

    # --- files the index is built from (the Markdown vault, `memvault index`) ----------------
    def file_states(self, root: str, paths: Sequence[str] | None = None) -> dict[str, FileState]:
        """What the index recorded of the files under ``root`` (``VAULT_ROOT`` for the vault),
        all of them or just ``paths``."""
        ...

    def get_file(self, root: str, path: str) -> FileRecord | None: ...

    def file_of_memory(self, memory_id: str) -> FileState | None: ...

    def set_file_states(self, states: Sequence[FileState]) -> None:
        """Record new size/time/hash of files whose meaning did not change."""
        ...

    def list_files(
        self,
        kind: FileKind,
        *,
        root: str,
        folder: str | None = None,
        tag: str | None = None,
        recent: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[FileRecord]: ...

    def file_counts(self) -> dict[str, int]:
        """Files by kind (``memory``, ``note``, ``document``) and ``links`` written in notes."""
        ...

    def put_memory_files(
        self, items: Sequence[tuple[Memory, FileState]], *, embed: bool
    ) -> dict[str, str]:
        """Make each memory equal to its file; returns ``{path: error}`` for files not applied."""
        ...

    def put_relations(self, records: Sequence[MemoryRecord]) -> dict[str, list[str]]:
        """Outgoing edges, validations and supersession as memory files say; warnings by id."""
        ...

    def memory_records(self, ids: Sequence[str]) -> dict[str, MemoryRecord]: ...

    def edge_sources(self, memory_id: str) -> list[str]: ...

    def memories_without_file(self, limit: int) -> list[str]: ...

    def put_document(
        self,
        record: FileRecord,
        chunks: Sequence[Memory],
        *,
        links: Sequence[NoteLink] = (),
        keys: Sequence[str] = (),
        embed: bool,
    ) -> tuple[int, int]:
        """Index a note or document with its chunks (kept by id) and links; (added, removed)."""
        ...

    def delete_files(self, root: str, paths: Sequence[str]) -> int:
        """Forget files and everything made from them; returns how many were known."""
        ...

    def note_links(self, root: str, path: str) -> tuple[list[LinkView], list[LinkView]]: ...

    def mark_pending(self, marks: Sequence[PendingWrite]) -> None: ...

    def finish_pending(
        self,
        paths: Sequence[str],
        *,
        owner: str | None,
        rendered: Sequence[tuple[Memory, FileState]] = (),
        removed: Sequence[str] = (),
    ) -> None: ...

    def pending_writes(self) -> list[PendingWrite]: ...

    def start_index_run(self, root: str, namespace: str, owner: str, total: int) -> int: ...

    def update_index_run(
        self,
        run_id: int,
        *,
        files_done: int,
        chunks: int,
        state: str = "running",
        error: str | None = None,
    ) -> None: ...

    def index_runs(self, limit: int = 10) -> list[IndexRun]: ...

    # --- imports and export -------------------------------------------------------------------
    def import_links(self, source: str, source_ids: Sequence[str]) -> dict[str, ImportLink]: ...

    def put_import_links(self, links: Sequence[ImportLink]) -> None: ...

    def import_link_count(self, source: str) -> int: ...

    def import_run(self, source: str) -> ImportRun | None: ...

    def save_import_run(self, run: ImportRun) -> None: ...

    def carry_vectors(
        self, memory_ids: Sequence[str], *, model_id: str, storage: VectorStorage, matrix: Matrix
    ) -> int:
        """Store vectors a source brought (same model as the vault's); their jobs are settled."""
        ...

    def vectors_of(self, memory_ids: Sequence[str]) -> dict[str, Matrix]: ...

    def restore_memories(self, records: Sequence[MemoryRecord], *, embed: bool) -> dict[str, str]:
        """Put memories back exactly as exported (ids, times, edges, validations)."""
        ...

    # --- operations -----------------------------------------------------------------------
    def stats(self) -> StoreStats: ...

    def check(self) -> CheckReport: ...
