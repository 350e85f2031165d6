"""The storage protocols: every way the rest of memvault reads or changes persistent state.

They are split by role, the way callers use them: the embed worker needs the vector queue and
nothing else, a folder sync needs the file index, search needs memories and the search index.
Each caller names the roles it uses, so what a layer may touch is visible in its signature, and
an engine is anything that implements :class:`Store`, the union of the roles.

Everything is expressed in domain records, not rows, so a second engine (PostgreSQL with
pgvector) can implement it and pass the same contract suite (``tests/storage/contract``). Each
method is one atomic unit of work: an engine must run it in a single transaction, which is why
composite operations such as ``supersede`` and ``record_validation`` live here rather than being
assembled by callers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
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
    StoreStats,
    ValidationEvent,
    Verdict,
)
from memvault.core.session_records import (
    AgentInteraction,
    Conversation,
    CostEntry,
    CostGrouping,
    CostTotal,
    Handoff,
    Message,
    Metric,
    RoutingDecision,
    Session,
    SessionRecord,
    SessionStatus,
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
Ranked = tuple[str, float]  # (memory id, score): a search's hit before its record is read


class MemoryStore(Protocol):
    """Memories: the records themselves, with their history."""

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

    def memories_by_id(self, ids: Sequence[str]) -> dict[str, Memory]:
        """The memories that exist among ``ids`` (missing ones are left out)."""
        ...

    def memory_records(self, ids: Sequence[str]) -> dict[str, MemoryRecord]:
        """Memories with their outgoing edges and validation history (what a file holds)."""
        ...

    def list_memories(self, where: MemoryFilter, *, limit: int, offset: int = 0) -> list[Memory]:
        """Newest first."""
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

    def supersede(self, old_id: str, new_id: str, at: str) -> None:
        """Close ``old_id``'s validity at ``at``, point it at ``new_id`` and add the edge."""
        ...


class SearchIndex(Protocol):
    """Ranked memory ids for a query; the caller reads the records of the hits it keeps."""

    def keyword_search(
        self, terms: Sequence[QueryTerm], where: MemoryFilter, *, limit: int
    ) -> list[Ranked]:
        """BM25-ranked (id, score) pairs, best first, for any of ``terms``; ties by id."""
        ...

    def vector_search(self, query: Matrix, where: MemoryFilter, *, limit: int) -> list[Ranked]:
        """(id, cosine similarity) of the memories nearest a unit ``query`` vector, best first,
        filters applied; never fewer than exist because a filter is selective."""
        ...


class GraphStore(Protocol):
    """Typed edges between memories, and the validation events that move confidence."""

    def upsert_edge(self, edge: Edge) -> Edge:
        """Add the edge, or update weight and metadata of the same (source, target, relation);
        NotFoundError when either end does not exist."""
        ...

    def edge_sources(self, memory_id: str) -> list[str]:
        """Memories with an edge pointing at this one."""
        ...

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

    def validation_history(self, memory_id: str) -> list[ValidationEvent]:
        """Oldest first."""
        ...


class VectorStore(Protocol):
    """Vectors of memories and the persistent queue of embed jobs that fills them."""

    def vector_config(self) -> VectorConfig | None:
        """The model and storage of the vault's vectors; None before the first vector."""
        ...

    def enqueue_missing_embeddings(self) -> int:
        """Queue an embed job for every memory with no vector and no job; returns how many."""
        ...

    def running_job_owners(self) -> list[str]:
        """Owners of the leases currently held."""
        ...

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
    ) -> None:
        """Back off and retry the jobs ``owner`` holds, or park them once out of attempts."""
        ...

    def release_jobs(self, owner: str) -> None:
        """Give back what ``owner`` holds (a clean shutdown) without using up a try."""
        ...

    def retry_failed_jobs(self) -> int:
        """Queue every parked job again; returns how many."""
        ...

    def job_counts(self) -> JobCounts: ...

    def has_pending_jobs(self) -> bool:
        """Whether any job is queued or running (cheap, unlike ``job_counts``)."""
        ...

    def job_failures(self, limit: int) -> list[JobFailure]:
        """Parked jobs, newest first."""
        ...

    def reset_vectors(self) -> None:
        """Drop every vector and job (a re-embed starts from here)."""
        ...


class FileIndex(Protocol):
    """The files the index is built from: the Markdown folder and folders of ``memvault index``.

    Files are keyed by ``root`` (``FOLDER_ROOT`` for the Markdown folder, else the absolute
    folder indexed) and a posix path relative to it.
    """

    def file_states(self, root: str, paths: Sequence[str] | None = None) -> dict[str, FileState]:
        """What the index recorded of the files under ``root``, all of them or just ``paths``."""
        ...

    def get_file(self, root: str, path: str) -> FileRecord | None: ...

    def file_of_memory(self, memory_id: str) -> FileState | None:
        """The memory file a memory was read from or rendered to."""
        ...

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
    ) -> list[FileRecord]:
        """By path (``recent``: newest change first); ``folder`` and ``tag`` narrow it."""
        ...

    def file_counts(self) -> dict[str, int]:
        """Files by kind (``memory``, ``note``, ``document``) and ``links`` written in notes."""
        ...

    def put_memory_files(
        self, items: Sequence[tuple[Memory, FileState]], *, embed: bool
    ) -> dict[str, str]:
        """Make each memory equal to its file; returns ``{path: error}`` for files not applied
        (the others are: one bad file does not undo the rest)."""
        ...

    def put_relations(self, records: Sequence[MemoryRecord]) -> dict[str, list[str]]:
        """Outgoing edges, validations and supersession as memory files say; warnings by id."""
        ...

    def memories_without_file(self, limit: int) -> list[str]:
        """Memories of their own (not chunks) that no memory file holds yet, oldest first."""
        ...

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

    def note_links(self, root: str, path: str) -> tuple[list[LinkView], list[LinkView]]:
        """Links written in the note, and links to it from other notes."""
        ...

    def mark_pending(self, marks: Sequence[PendingWrite]) -> None:
        """Record files a process is about to write (finished by the next one if it dies)."""
        ...

    def finish_pending(
        self,
        paths: Sequence[str],
        *,
        owner: str | None,
        rendered: Sequence[FileRecord] = (),
        removed: Sequence[str] = (),
    ) -> None:
        """Drop marks (only ``owner``'s, if given) once their files are written: record each
        rendered file (a memory's or a session's), forget the rows of files that were
        deleted."""
        ...

    def pending_writes(self) -> list[PendingWrite]: ...

    def start_index_run(self, root: str, namespace: str, owner: str, total: int) -> int:
        """A new run of ``memvault index``, for other processes to watch; returns its id."""
        ...

    def update_index_run(
        self,
        run_id: int,
        *,
        files_done: int,
        chunks: int,
        state: str = "running",
        error: str | None = None,
    ) -> None: ...

    def index_runs(self, limit: int = 10) -> list[IndexRun]:
        """Newest first."""
        ...


class ImportLedger(Protocol):
    """What imports, verify and export keep: links, runs, carried vectors, exact restores."""

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

    def vectors_of(self, memory_ids: Sequence[str]) -> dict[str, Matrix]:
        """Stored vectors as float32 (int8 scaled back, bit codes as ±1)."""
        ...

    def restore_memories(self, records: Sequence[MemoryRecord], *, embed: bool) -> dict[str, str]:
        """Put memories back exactly as exported (ids, times, edges, validations); errors by
        id."""
        ...


class SessionStore(Protocol):
    """Sessions, their conversations and messages, handoffs, and their telemetry.

    A message is stored as a memory of kind ``message`` (so keyword and vector search find it,
    see ``MemoryFilter.messages``) in the namespace the caller gives (the session layer uses the
    session's project); what only a message has (role, tokens, summarised, position) is kept
    beside it.
    """

    def put_session(self, session: Session) -> None:
        """Insert the session, or replace its own fields (status, times, title, metadata)."""
        ...

    def put_conversation(self, conversation: Conversation) -> None:
        """Add a conversation to its session (NotFoundError if the session does not exist)."""
        ...

    def get_session(self, session_id: str) -> Session | None: ...

    def list_sessions(
        self,
        *,
        user: str | None = None,
        project: str | None = None,
        agent: str | None = None,
        statuses: Sequence[SessionStatus] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> list[Session]:
        """Most recently active first."""
        ...

    def conversations(self, session_id: str) -> list[Conversation]:
        """Oldest first."""
        ...

    def log_messages(
        self, session_id: str, messages: Sequence[Message], *, namespace: str, embed: bool
    ) -> None:
        """Append messages to conversations of the session, atomically; the session becomes
        active (a paused one too) and its ``last_active_at`` the newest message's time.
        ConflictError when the session is ended or archived; NotFoundError for an unknown
        session or conversation. With ``embed`` each message gets an embed job."""
        ...

    def messages(
        self,
        session_id: str,
        *,
        conversation_id: str | None = None,
        unsummarised: bool = False,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[Message]:
        """In the session's order: as logged, or as its file lists them."""
        ...

    def mark_summarised(self, session_id: str, message_ids: Sequence[str] | None) -> int:
        """Mark these messages of the session (all, with None) as summarised; returns how many
        changed."""
        ...

    def put_handoff(self, handoff: Handoff) -> None: ...

    def handoffs(
        self, *, session_id: str | None = None, project: str | None = None, limit: int = 10
    ) -> list[tuple[Session, Handoff]]:
        """Handoffs with their sessions, newest first: of one session, or of a project's
        sessions."""
        ...

    def session_record(self, session_id: str) -> SessionRecord | None:
        """Everything a session file holds."""
        ...

    def put_session_record(
        self,
        record: SessionRecord,
        *,
        namespace: str,
        embed: bool,
        file: FileRecord | None = None,
    ) -> None:
        """Make the session equal to its file: its fields, conversations, messages (by id:
        new ones added, changed ones updated, missing ones removed) and handoffs; with
        ``file``, record the file it was read from in the same transaction."""
        ...

    def delete_session(self, session_id: str) -> bool:
        """Delete the session with its conversations, messages, handoffs and telemetry."""
        ...

    def log_costs(self, entries: Sequence[CostEntry]) -> None: ...

    def cost_totals(
        self,
        by: CostGrouping,
        *,
        project: str | None = None,
        session_id: str | None = None,
        since: str | None = None,
    ) -> list[CostTotal]:
        """Costs summed per session, project, model or day (UTC), largest first."""
        ...

    def log_telemetry(
        self,
        *,
        interactions: Sequence[AgentInteraction] = (),
        routing: Sequence[RoutingDecision] = (),
        metrics: Sequence[Metric] = (),
    ) -> None: ...

    def session_telemetry(
        self, session_id: str
    ) -> tuple[list[AgentInteraction], list[RoutingDecision], list[Metric]]: ...

    def archive_idle_sessions(self, idle_before: str, *, dry_run: bool) -> list[str]:
        """Archive sessions (not already archived) last active before ``idle_before``; their
        ids."""
        ...

    def prune_summarised_messages(self, older_than: str, *, dry_run: bool) -> dict[str, int]:
        """Delete summarised messages created before ``older_than`` (never one that is not
        summarised); how many, by session id."""
        ...


class Settings(Protocol):
    """Small named values of a vault (its embedder, its vector storage, DB-only mode)."""

    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...


class Operations(Protocol):
    """The store as a whole: where it is, its health, its end."""

    @property
    def location(self) -> str:
        """Where the data lives, for messages (a file path or a URL without its password)."""
        ...

    def local_files(self) -> list[Path]:
        """Files on this machine that are the store itself (a database file and its companions):
        never content to index. Empty for a server engine."""
        ...

    def stats(self) -> StoreStats: ...

    def check(self) -> CheckReport:
        """Integrity of the data and consistency of its indexes."""
        ...

    def close(self) -> None: ...


class Store(
    MemoryStore,
    SearchIndex,
    GraphStore,
    VectorStore,
    FileIndex,
    ImportLedger,
    SessionStore,
    Settings,
    Operations,
    Protocol,
):
    """Every role: what an engine implements and what ``open_store`` returns."""
