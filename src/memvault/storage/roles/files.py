"""The files an index is built from: the Markdown folder and folders of ``memvault index``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from memvault.core.file_records import (
    FileKind,
    FileRecord,
    FileState,
    IndexRun,
    LinkView,
    NoteLink,
    PendingWrite,
)
from memvault.core.records import (
    Memory,
    MemoryRecord,
)

if TYPE_CHECKING:
    pass


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

    def put_relations(
        self, records: Sequence[MemoryRecord], *, embed: bool = False
    ) -> dict[str, list[str]]:
        """Outgoing edges, validations and supersession as memory files say, and the import
        links they carry back (``embed``: links new here are embedded here); warnings by id."""
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
