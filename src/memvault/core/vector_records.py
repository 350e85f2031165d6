"""Records of a vault's vectors and of its embedding job queue."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


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


@dataclass(frozen=True, slots=True)
class VectorSettings:
    """Which embedder a vault uses and how it stores vectors (``none``: vectors off)."""

    embedder: str  # a spec: bundled, hash:384, ollama:MODEL, openai:MODEL, none
    storage: VectorStorage
    enabled: bool

    def to_dict(self) -> dict[str, Any]:
        return {"embedder": self.embedder, "storage": self.storage.value, "enabled": self.enabled}
