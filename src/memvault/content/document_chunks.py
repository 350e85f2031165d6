"""Chunks of notes and files as memories, with ids that survive a rebuild.

A chunk's id is derived from its document's id and its own text, not drawn at random: delete
the database, reindex, and every chunk comes back under the same id (so saved links and search
results stay valid), and a chunk whose text did not change keeps its id, its vector and its
embedding job's work when the rest of its file is edited.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from memvault.content.chunking import Chunk
from memvault.core.ids import content_hash
from memvault.core.records import Location, Memory

_ID_SPACE = uuid.UUID("6f1c2e8a-3b7d-4c55-9a0e-2d4f8b1e7c93")  # memvault's own uuid5 namespace


def document_id(root: str, path: str) -> str:
    """Id of a note without an ``id`` in its front matter, or of an ingested file."""
    return str(uuid.uuid5(_ID_SPACE, f"file:{root}:{path}"))


def chunk_memories(
    doc_id: str,
    chunks: Sequence[Chunk],
    *,
    path: str,
    kind: str,
    namespace: str,
    tags: tuple[str, ...],
    created_at: str,
    updated_at: str,
    source: str | None = None,
) -> list[Memory]:
    seen: dict[str, int] = {}
    memories = []
    for chunk in chunks:
        text = chunk.text.strip()
        if not text:
            continue
        digest = content_hash(text)
        occurrence = seen.get(digest, 0)
        seen[digest] = occurrence + 1
        memories.append(
            Memory.new(
                str(uuid.uuid5(_ID_SPACE, f"chunk:{doc_id}:{digest}:{occurrence}")),
                text,
                kind=kind,
                namespace=namespace,
                tags=tags,
                source=source,
                created_at=created_at,
                updated_at=updated_at,
                location=Location(
                    path, chunk.line_start, chunk.line_end, chunk.heading, chunk.page
                ),
            )
        )
    return memories
