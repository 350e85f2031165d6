"""Typed domain records shared by every layer.

They are frozen so that a record handed to a caller cannot drift from what is stored: a change is
always a new write through the vault. Field names are the user-facing ones from the spec; each
storage engine maps them to its own tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

DEFAULT_NAMESPACE = "default"
DEFAULT_KIND = "fact"
KNOWN_KINDS = ("fact", "decision", "preference", "lesson", "event", "note")


class Verdict(StrEnum):
    """What a validation event says about a memory."""

    CONFIRM = "confirm"  # someone checked it and it holds
    USE = "use"  # it was relied on and nothing went wrong: weak evidence
    REFUTE = "refute"  # it was found wrong


class Relation(StrEnum):
    """Relations memvault itself creates or understands; users may add any other name."""

    RELATES_TO = "relates_to"
    SUPERSEDES = "supersedes"
    CONTRADICTS = "contradicts"
    DERIVED_FROM = "derived_from"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a chunk of a note or an ingested file sits: file, 1-based inclusive lines, page."""

    path: str  # vault-relative for notes; absolute for files of `memvault index`
    line_start: int
    line_end: int
    heading: str | None = None
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Memory:
    id: str
    content: str
    kind: str
    namespace: str
    tags: tuple[str, ...]
    importance: float
    confidence: float
    source: str | None
    metadata: dict[str, Any]
    content_hash: str
    created_at: str
    updated_at: str
    accessed_at: str | None
    access_count: int
    valid_from: str
    valid_to: str | None
    superseded_by: str | None
    location: Location | None = None  # set for chunks of notes and ingested files

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        return data


@dataclass(frozen=True, slots=True)
class MemoryDraft:
    """What a caller supplies to remember something; the vault fills in ids and times."""

    content: str
    kind: str = DEFAULT_KIND
    namespace: str = DEFAULT_NAMESPACE
    tags: tuple[str, ...] = ()
    importance: float = 0.5
    confidence: float = 0.5
    source: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: str | None = None  # an import keeps the source's times; None: now
    updated_at: str | None = None


@dataclass(frozen=True, slots=True)
class MemoryPatch:
    """Fields to change on an existing memory; ``None`` leaves a field as it is."""

    content: str | None = None
    kind: str | None = None
    tags: tuple[str, ...] | None = None
    importance: float | None = None
    confidence: float | None = None
    source: str | None = None
    metadata: dict[str, Any] | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class InsertOutcome:
    id: str
    created: bool  # False when the content already existed in the namespace


@dataclass(frozen=True, slots=True)
class MemoryFilter:
    """Which memories a search or listing may return. Empty fields do not filter."""

    namespace: str | None = None
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # a memory must carry every one of them
    created_after: str | None = None
    created_before: str | None = None
    include_superseded: bool = False
    include_chunks: bool = True  # chunks of notes and indexed files (False: memories of their own)


@dataclass(frozen=True, slots=True)
class Signal:
    """One retrieval signal's view of a hit (keyword today; vector joins it later)."""

    rank: int
    score: float


@dataclass(frozen=True, slots=True)
class SearchHit:
    memory: Memory
    score: float
    signals: dict[str, Signal] = field(default_factory=dict)

    def to_dict(self, explain: bool = False) -> dict[str, Any]:
        data = self.memory.to_dict()
        data["score"] = self.score
        if explain:
            data["signals"] = {name: asdict(sig) for name, sig in self.signals.items()}
        return data


@dataclass(frozen=True, slots=True)
class Edge:
    source_id: str
    target_id: str
    relation: str
    weight: float
    metadata: dict[str, Any]
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A memory reached by a graph walk, with the edge that reached it."""

    memory: Memory
    edge: Edge
    depth: int

    def to_dict(self) -> dict[str, Any]:
        return {"memory": self.memory.to_dict(), "edge": self.edge.to_dict(), "depth": self.depth}


@dataclass(frozen=True, slots=True)
class ValidationEvent:
    id: str
    memory_id: str
    verdict: Verdict
    actor: str | None
    note: str | None
    confidence_before: float
    confidence_after: float
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        return data


@dataclass(frozen=True, slots=True)
class StoreStats:
    memories: int
    current: int
    superseded: int
    by_kind: dict[str, int]
    by_namespace: dict[str, int]
    tags: int
    edges: int
    validation_events: int
    schema_version: int
    db_bytes: int
    wal_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class CheckReport:
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


# --- vectors and the job queue ----------------------------------------------------------------
class SearchMode(StrEnum):
    HYBRID = "hybrid"  # keyword and vector candidates, fused
    KEYWORD = "keyword"
    VECTOR = "vector"


class VectorStorage(StrEnum):
    """How a vault stores its vectors: 1536, 384 or 48 bytes per 384-d vector."""

    FLOAT32 = "float32"
    INT8 = "int8"
    BIT = "bit"


@dataclass(frozen=True, slots=True)
class VectorConfig:
    """Which model made a vault's vectors and how they are stored; fixed until a re-embed."""

    model_id: str
    dimensions: int
    storage: VectorStorage
    int8_scale: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "storage": self.storage.value}


@dataclass(frozen=True, slots=True)
class EmbedTask:
    """A claimed embed job: the text to embed and the job it settles."""

    job_id: int
    memory_id: str
    content: str
    attempts: int  # including this one


@dataclass(frozen=True, slots=True)
class JobFailure:
    job_id: int
    memory_id: str
    attempts: int
    error: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class JobCounts:
    queued: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.running + self.done + self.failed

    @property
    def pending(self) -> int:
        """Jobs that will still run: the queue is drained when this is 0."""
        return self.queued + self.running

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total": self.total}


# --- the Markdown vault and ingested files ------------------------------------------------------
class FileKind(StrEnum):
    MEMORY = "memory"  # vault/memories/<namespace>/<id>.md: one memory, rendered by memvault
    NOTE = "note"  # any other Markdown file in the vault: chunked by headings
    DOCUMENT = "document"  # a file of `memvault index PATH`, outside the vault


VAULT_ROOT = ""  # the ``root`` of files that live in the vault


@dataclass(frozen=True, slots=True)
class FileState:
    """What the index knows of a file it was built from; a sync compares it with the disk."""

    root: str  # VAULT_ROOT, or the absolute folder of an index run
    path: str  # posix, relative to root
    kind: FileKind
    record_id: str  # the memory's id, or the note's / document's id
    content_hash: str  # sha256 of the bytes
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A note or an ingested document as indexed (its chunks are memories)."""

    state: FileState
    namespace: str
    title: str | None
    tags: tuple[str, ...]
    front_matter: dict[str, Any]
    created_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.state.record_id,
            "path": self.state.path,
            "root": self.state.root or None,
            "kind": self.state.kind.value,
            "namespace": self.namespace,
            "title": self.title,
            "tags": list(self.tags),
            "size": self.state.size,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class NoteLink:
    """A link written in a note: ``target`` is a link key (see ``markdown.links.link_key``)."""

    target: str
    relation: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class LinkView:
    """A note link with where it resolves (None while no note has that name)."""

    source_path: str
    target: str
    relation: str
    line: int | None
    resolved_path: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class MemoryRecord:
    """Everything a memory file holds: the memory, its outgoing edges, its validations."""

    memory: Memory
    relations: tuple[Edge, ...] = ()
    validations: tuple[ValidationEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class PendingWrite:
    """A vault file a process is about to write (see ``vault_pending`` in the schema)."""

    path: str
    action: str  # "render": write the memory file from the index; "index": index the file
    record_id: str | None
    owner: str


@dataclass(frozen=True, slots=True)
class IndexRun:
    id: int
    root: str
    namespace: str
    state: str  # running | done | failed
    owner: str
    files_total: int
    files_done: int
    chunks: int
    error: str | None
    started_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- imports ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ImportLink:
    """Which source record became which memory, and what the record held then."""

    source: str
    source_id: str
    memory_id: str
    record_hash: str
    vector: str  # "carried" from the source, "embedded" here, or "none"


@dataclass(frozen=True, slots=True)
class ImportRun:
    source: str
    state: str  # running | done | failed
    checkpoint: str | None
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
