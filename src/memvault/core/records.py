"""Typed domain records shared by every layer.

They are frozen so that a record handed to a caller cannot drift from what is stored: a change is
always a new write through the vault. Field names are the user-facing ones from the spec; each
storage engine maps them to its own tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from memvault.core.entity_records import EntityMention, entity_mapping
from memvault.core.ids import content_hash
from memvault.core.import_records import ImportOrigin

DEFAULT_NAMESPACE = "default"
DEFAULT_KIND = "fact"


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
    session_id: str | None = None  # set for messages: the session they were said in
    # Who and what it mentions (docs/entities.md). Read back always a tuple; on a write None
    # means "extract them from the text and tags" and a tuple is taken as it is (a memory
    # file's own list, an export's). Left out of ``==``: a memory as written (None) equals the
    # memory read back; what entities it got is asked of ``entities`` itself.
    entities: tuple[EntityMention, ...] | None = field(default=None, compare=False)

    @classmethod
    def new(
        cls,
        memory_id: str,
        content: str,
        *,
        kind: str,
        namespace: str,
        tags: tuple[str, ...] = (),
        importance: float = 0.5,
        confidence: float = 0.5,
        source: str | None = None,
        metadata: dict[str, Any] | None = None,
        created_at: str,
        updated_at: str | None = None,
        valid_from: str | None = None,
        valid_to: str | None = None,
        superseded_by: str | None = None,
        location: Location | None = None,
        session_id: str | None = None,
        entities: tuple[EntityMention, ...] | None = None,
    ) -> Memory:
        """A memory as it is first stored (from a caller, a file, a chunk or an export): hashed
        for dedup, never accessed yet, valid from its creation unless told otherwise."""
        return cls(
            id=memory_id,
            content=content,
            kind=kind,
            namespace=namespace,
            tags=tags,
            importance=importance,
            confidence=confidence,
            source=source,
            metadata=metadata or {},
            content_hash=content_hash(content),
            created_at=created_at,
            updated_at=updated_at or created_at,
            accessed_at=None,
            access_count=0,
            valid_from=valid_from or created_at,
            valid_to=valid_to,
            superseded_by=superseded_by,
            location=location,
            session_id=session_id,
            entities=entities,
        )

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        data.pop("entities")
        if self.entities:  # kind -> names, as in the memory's file: a few tokens, not a key each
            data["entities"] = entity_mapping(self.entities)
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
    # None: extracted again when content or tags change; a tuple: these (a hand edit's)
    entities: tuple[EntityMention, ...] | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class InsertOutcome:
    id: str
    created: bool  # False when the content already existed in the namespace


class MessageScope(StrEnum):
    """Whether messages of sessions are among what a search or listing returns."""

    EXCLUDE = "exclude"  # memories (and chunks) only: the default everywhere
    INCLUDE = "include"  # memories and messages (the context pack)
    ONLY = "only"  # messages only (searching past conversations)


@dataclass(frozen=True, slots=True)
class MemoryFilter:
    """Which memories a search or listing may return. Empty fields do not filter."""

    namespace: str | None = None
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # a memory must carry every one of them
    entities: tuple[str, ...] = ()  # entity keys (``entity_key``): it must mention every one
    created_after: str | None = None
    created_before: str | None = None
    include_superseded: bool = False
    include_chunks: bool = True  # chunks of notes and indexed files (False: memories of their own)
    messages: MessageScope = MessageScope.EXCLUDE
    session_id: str | None = None  # only this session's messages (whatever ``messages`` says)
    min_importance: float | None = None
    min_confidence: float | None = None


WEAK_BELOW = 0.5  # a hit's relevance under this is weak evidence that it is about the query


@dataclass(frozen=True, slots=True)
class Signal:
    """One retrieval signal's view of a hit (keyword today; vector joins it later)."""

    rank: int
    score: float


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A search result. ``score`` orders one search's hits and means nothing across searches;
    ``relevance`` (0-1, comparable across queries; below 0.5 is ``weak``) says whether the hit
    is about the query at all (see ``memvault.service.relevance``)."""

    memory: Memory
    score: float
    signals: dict[str, Signal] = field(default_factory=dict)
    relevance: float | None = None

    @property
    def weak(self) -> bool:
        return self.relevance is not None and self.relevance < WEAK_BELOW

    def to_dict(self, explain: bool = False) -> dict[str, Any]:
        data = self.memory.to_dict()
        data["score"] = self.score
        if self.relevance is not None:
            data["relevance"] = round(self.relevance, 3)
            data["weak"] = self.weak
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
    """Counts of what a vault holds. ``memories`` (with ``current``, ``superseded``, and the
    counts by kind and namespace) are memories of their own: the chunks of notes and indexed
    files and the messages of sessions are counted apart."""

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
    sessions: int = 0
    messages: int = 0
    notes: int = 0
    files: int = 0  # indexed by `memvault index`
    chunks: int = 0  # of notes and indexed files

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One named check; ``counts`` are its numbers (what it found), which ``repair`` plans by."""

    name: str
    ok: bool
    detail: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckReport:
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


class SearchMode(StrEnum):
    HYBRID = "hybrid"  # keyword and vector candidates, fused
    KEYWORD = "keyword"
    VECTOR = "vector"


class ListOrder(StrEnum):
    """The order of a listing; each puts the most first and breaks ties by id, newest first."""

    RECENT = "recent"  # newest first (the order of storing)
    IMPORTANCE = "importance"
    CONFIDENCE = "confidence"
    ACCESS = "access"  # most accessed first, then the most recently accessed


@dataclass(frozen=True, slots=True)
class MemoryRecord:
    """Everything a memory file holds: the memory, its outgoing edges, its validations, and the
    source records it was imported from (by source and id)."""

    memory: Memory
    relations: tuple[Edge, ...] = ()
    validations: tuple[ValidationEvent, ...] = ()
    imports: tuple[ImportOrigin, ...] = ()
