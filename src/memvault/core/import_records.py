"""Records of imports: which source record became which memory, and how far a run got."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


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


@dataclass(frozen=True, slots=True)
class ImportRunEntry:
    """A source's run as a listing shows it: the run, when it began and when it last moved."""

    run: ImportRun
    started_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class VerifySummary:
    """What the last verify of a source found, kept in the vault so it can be shown later
    (the full report is printed by the command; this is its counts and first mismatches)."""

    source: str
    ok: bool
    verified_at: str
    records: int
    linked: int
    missing: int
    differing: int
    vector_mismatch: int
    vectors_carried: int
    source_failures: int
    sampled: int
    found: int  # sampled records their own words found in the top 5
    parity: float | None = None  # mean overlap@10 with the source's own search
    examples: tuple[str, ...] = ()  # the first mismatches, one line each

    @property
    def self_retrieval(self) -> float:
        return self.found / self.sampled if self.sampled else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "examples": list(self.examples)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VerifySummary:
        return cls(**{**data, "examples": tuple(data.get("examples", ()))})
