"""What every import source provides, and what its records become.

Records come in batches, with a checkpoint after each; ``draft_of`` says which memory a record
becomes and ``record_hash`` what it held, so a changed record is noticed on the next run.

Sources only read. A table source runs read-only transactions and keyset pagination (no lock
held for long); a file source reads files and never writes to them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from memvault.core.records import DEFAULT_KIND, DEFAULT_NAMESPACE, MemoryDraft


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record of a source, already mapped to memory fields (None: the vault's default)."""

    source_id: str  # stable id in the source (its primary key, as text)
    content: str
    kind: str | None = None
    namespace: str | None = None
    tags: tuple[str, ...] = ()
    importance: float | None = None
    confidence: float | None = None
    created_at: str | None = None  # ISO 8601
    updated_at: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    vector: npt.NDArray[np.float32] | None = None  # as stored in the source, if any


@dataclass(frozen=True, slots=True)
class SourceEdge:
    """A relation between two records of the same source (by their source ids)."""

    source_id: str
    target_id: str
    relation: str


@dataclass(frozen=True, slots=True)
class SourceFailure:
    """A record the source could not turn into a memory: reported, the rest goes on."""

    source_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class SourceBatch:
    records: tuple[SourceRecord, ...]
    failures: tuple[SourceFailure, ...] = ()
    edges: tuple[SourceEdge, ...] = ()
    checkpoint: str | None = None  # pass as ``resume`` to continue after this batch


class Source(Protocol):
    @property
    def name(self) -> str:
        """Stable name of this source for import links: kind, place and table/collection,
        without credentials (e.g. ``mysql://127.0.0.1:3306/test/notes``)."""
        ...

    @property
    def vector_note(self) -> str | None:
        """What the source says about its vectors (model, dimensions), for reports."""
        ...

    def count(self) -> int:
        """How many records the source holds (for progress and ``--status``)."""
        ...

    def batches(self, *, batch_size: int, resume: str | None = None) -> Iterator[SourceBatch]:
        """Every record, in a stable order, ``batch_size`` at a time, after ``resume``."""
        ...

    def search(self, query: str, k: int) -> list[str] | None:
        """The source's own top-k for a query (source ids), for the parity report; None when
        the source cannot search."""
        ...

    def close(self) -> None: ...


def record_hash(record: SourceRecord) -> str:
    """What a record held, so a changed record is noticed (the vector too)."""
    data = {
        "content": record.content,
        "kind": record.kind,
        "namespace": record.namespace,
        "tags": list(record.tags),
        "importance": record.importance,
        "confidence": record.confidence,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "metadata": record.metadata,
    }
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode())
    if record.vector is not None:
        digest.update(np.asarray(record.vector, dtype="<f4").tobytes())
    return digest.hexdigest()


def draft_of(record: SourceRecord, namespace: str | None) -> MemoryDraft:
    return MemoryDraft(
        content=record.content,
        kind=record.kind or DEFAULT_KIND,
        namespace=namespace or record.namespace or DEFAULT_NAMESPACE,
        tags=record.tags,
        importance=0.5 if record.importance is None else record.importance,
        confidence=0.5 if record.confidence is None else record.confidence,
        metadata=record.metadata,
        created_at=record.created_at,
        updated_at=record.updated_at or record.created_at,
    )


def duplicates_of(source: Source) -> list[dict[str, Any]]:
    """Ids a file source holds on several lines: the last line is the record, the earlier ones
    are skipped (``docs/importing.md``)."""
    found: dict[str, tuple[int, ...]] = getattr(source, "duplicates", {})
    return [
        {"id": source_id, "lines": list(lines), "kept": lines[-1]}
        for source_id, lines in found.items()
    ]
