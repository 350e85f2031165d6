"""Records of the files an index is built from: the Markdown folder's notes and memory files,
and the documents of ``memvault index PATH``."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from memvault.core.records import Memory


class FileKind(StrEnum):
    MEMORY = "memory"  # vault/memories/<namespace>/<id>.md: one memory, rendered by memvault
    NOTE = "note"  # any other Markdown file in the vault: chunked by headings
    DOCUMENT = "document"  # a file of `memvault index PATH`, outside the vault
    SESSION = "session"  # sessions/<project>/<id>.md: one session, rendered by memvault


FOLDER_ROOT = ""  # the ``root`` of files that live in the vault


@dataclass(frozen=True, slots=True)
class FileState:
    """What the index knows of a file it was built from; a sync compares it with the disk."""

    root: str  # FOLDER_ROOT, or the absolute folder of an index run
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

    @classmethod
    def of_memory(cls, memory: Memory, state: FileState) -> FileRecord:
        """What the index records of a memory's file: the memory's namespace, tags, times."""
        return cls(
            state, memory.namespace, None, memory.tags, {}, memory.created_at, memory.updated_at
        )

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
    state: str  # running | done | failed; read back as "interrupted" when its owner is gone
    owner: str
    files_total: int
    files_done: int
    chunks: int
    error: str | None
    started_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file that could not be read or applied: reported by path and line, and left with its
    last good index, so one broken file never stops a sync."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message}


RACY_SECONDS = 3


def same_stat(old: FileState, size: int, mtime_ns: int) -> bool:
    """Unchanged by size and time, unless modified moments ago: on file systems with coarse
    timestamps an edit of the same size in the same tick keeps its time (git's "racy clean")."""
    recent = mtime_ns > time.time_ns() - RACY_SECONDS * 1_000_000_000
    return not recent and (old.size, old.mtime_ns) == (size, mtime_ns)
