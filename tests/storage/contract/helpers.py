"""Building records and vectors for contract tests, through the protocols only."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from memvault.core.file_records import FOLDER_ROOT, FileKind, FileRecord, FileState
from memvault.core.ids import new_id
from memvault.core.records import Location, Memory, MemoryFilter
from memvault.core.times import now_iso
from memvault.core.vector_records import VectorStorage
from memvault.embedding.hashing import HashEmbedder
from memvault.storage.roles import Store, VectorStore

Vector = npt.NDArray[np.float32]
HASH = HashEmbedder(384)
DIMS = 384
STORAGES = [VectorStorage.FLOAT32, VectorStorage.INT8, VectorStorage.BIT]
EVERYTHING = MemoryFilter(include_superseded=True)
EMBEDDER = "contract:1:embedder"  # the owner the helpers claim jobs as


def memory(
    content: str,
    *,
    memory_id: str | None = None,
    namespace: str = "default",
    kind: str = "fact",
    tags: Iterable[str] = (),
    created_at: str | None = None,
    **fields: Any,
) -> Memory:
    return Memory.new(
        memory_id or new_id(),
        content,
        kind=kind,
        namespace=namespace,
        tags=tuple(sorted(tags)),
        created_at=created_at or now_iso(),
        **fields,
    )


def insert(store: Store, *texts: str, embed: bool = False, **fields: Any) -> list[str]:
    """Insert one memory per text (all created); their ids, in order."""
    outcomes = store.insert_memories([memory(text, **fields) for text in texts], embed=embed)
    assert all(outcome.created for outcome in outcomes)
    return [outcome.id for outcome in outcomes]


def embed_pending(
    store: VectorStore,
    vectors: Mapping[str, Vector] | None = None,
    *,
    model_id: str = HASH.model_id,
    storage: VectorStorage = VectorStorage.FLOAT32,
    owner: str = EMBEDDER,
) -> int:
    """Claim every ready job and store its vector: ``vectors[memory id]`` when given, else the
    hash embedding of its text. Returns how many were stored."""
    stored = 0
    while tasks := store.claim_embed_jobs(owner, limit=1000, lease_seconds=600):
        if vectors is None:
            matrix = HASH.embed_documents([task.content for task in tasks])
        else:
            matrix = np.stack([vectors[task.memory_id] for task in tasks]).astype(np.float32)
        stored += store.store_embeddings(
            owner,
            model_id=model_id,
            storage=storage,
            job_ids=[task.job_id for task in tasks],
            embeddings=matrix,
        )
    return stored


class Patterns:
    """±1/sqrt(d) vectors: a base pattern and variants with ``n`` signs flipped from it.

    A variant with ``n`` flips has cosine ``1 - 2n/d`` to the base in float32, int8 and bit
    storage alike, so one expected order holds for every storage kind.
    """

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.base = self.rng.choice(np.array([-1.0, 1.0], dtype=np.float32), DIMS)

    def flipped(self, n: int) -> Vector:
        signs = self.base.copy()
        signs[self.rng.choice(DIMS, n, replace=False)] *= -1
        flipped: Vector = (signs / np.sqrt(DIMS)).astype(np.float32)
        return flipped

    def query(self) -> Vector:
        query: Vector = (self.base / np.sqrt(DIMS)).astype(np.float32)
        return query


def unit(*values: float) -> Vector:
    """A unit vector of width ``DIMS`` whose first components are ``values``."""
    vector = np.zeros(DIMS, dtype=np.float32)
    vector[: len(values)] = values
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def file_record(
    path: str,
    *,
    kind: FileKind = FileKind.NOTE,
    root: str = FOLDER_ROOT,
    record_id: str | None = None,
    digest: str = "0" * 64,
    size: int = 10,
    mtime_ns: int = 1_000,
    namespace: str = "default",
    title: str | None = None,
    tags: Iterable[str] = (),
    updated_at: str = "2026-01-01T00:00:00.000000Z",
) -> FileRecord:
    return FileRecord(
        state=FileState(root, path, kind, record_id or new_id(), digest, size, mtime_ns),
        namespace=namespace,
        title=title,
        tags=tuple(tags),
        front_matter={"title": title} if title else {},
        created_at="2026-01-01T00:00:00.000000Z",
        updated_at=updated_at,
    )


def chunk(record: FileRecord, text: str, line: int, *, heading: str | None = None) -> Memory:
    """A chunk of ``record``: its id depends on the file and the text, as the chunker's does.

    Its path is the note's, relative to the folder, or the indexed file's absolute path.
    """
    root, path = record.state.root, record.state.path
    where = path if root == FOLDER_ROOT else f"{root.rstrip('/')}/{path}"
    return memory(
        text,
        memory_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{record.state.record_id}:{text}")),
        kind="note",
        namespace=record.namespace,
        tags=record.tags,
        created_at=record.created_at,
        location=Location(where, line, line, heading),
    )
