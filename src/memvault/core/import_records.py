"""Records of imports: which source record became which memory, and how far a run got."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImportLink:
    """Which source record became which memory, and what the record held then."""

    source: str
    source_id: str
    memory_id: str
    record_hash: str
    vector: str  # "carried" from the source, "embedded" here, or "none"


@dataclass(frozen=True, slots=True)
class ImportOrigin:
    """The part of an import link a memory's file carries, so a rebuild brings the link back:
    which source record the memory came from and what that record held when it was applied.
    How its vector came is not kept: after a rebuild every vector is the vault's own."""

    source: str
    source_id: str
    record_hash: str


@dataclass(frozen=True, slots=True)
class ImportRun:
    """How far the last import of a source got; the counts add up over resumed runs."""

    source: str
    state: str  # running | done | failed; read back as "interrupted" when its owner is gone
    checkpoint: str | None
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    owner: str | None = None  # host:pid:token of the process running it
    error: str | None = None  # why a failed run stopped
