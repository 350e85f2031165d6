"""Memory files follow the index: every memory write is rendered to ``memories/`` in the folder.

The order is what makes a crash harmless. Under the vault lock a write (1) marks the files it
will touch in ``vault_pending`` and commits, (2) changes the database, (3) renders each file
from the database as it now is (temp file + rename), (4) clears the marks. A process killed
anywhere in between leaves marks behind, and the next process to open the vault finishes them
(:meth:`MarkdownFolder.recover`): it renders the marked memories from the database, or indexes
marked notes from their files. Rendering reads the current rows rather than the caller's copy,
so when two processes change one memory the file always ends with the last committed state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from memvault.content.markdown.memory_file import memory_path, render_memory
from memvault.content.markdown.paths import atomic_write
from memvault.core.errors import DiskFullError, StorageError
from memvault.core.file_records import FOLDER_ROOT, FileKind, FileRecord, FileState, PendingWrite
from memvault.core.ids import file_hash
from memvault.core.records import DEFAULT_NAMESPACE
from memvault.folder.disk_errors import SAVED, explained
from memvault.folder.lock import FolderLock
from memvault.storage.roles import FileIndex, MemoryStore


class MemoryFileWriter:
    def __init__(
        self,
        files: FileIndex,
        memories: MemoryStore,
        root: Path,
        lock: FolderLock,
    ) -> None:
        self._files = files
        self._memories = memories
        self.root = root
        self.lock = lock

    @contextmanager
    def changing(self, targets: Mapping[str, str | None], *, new: bool = False) -> Iterator[None]:
        """Around a database change to these memories (id → namespace, if known). ``new``
        memories have no file yet: their paths follow from id and namespace, no lookup."""
        with self.lock.held():
            marks = [
                PendingWrite(
                    memory_path(memory_id, namespace or DEFAULT_NAMESPACE)
                    if new
                    else self._path_of(memory_id, namespace),
                    "render",
                    memory_id,
                    self.owner,
                )
                for memory_id, namespace in targets.items()
            ]
            self._files.mark_pending(marks)
            try:
                yield
            except BaseException:
                # The files get the unchanged rows; if even that fails (the disk that failed the
                # change is still full) the marks stay for the next open, and the change's own
                # error is the one to report.
                with contextlib.suppress(StorageError):
                    self.render_marks(marks)
                raise
            self.render_marks(marks)

    @property
    def owner(self) -> str:
        return self.lock.owner

    def render(self, memory_ids: list[str]) -> None:
        """Write these memories' files from the index (e.g. memories that never had one)."""
        with self.lock.held():
            marks = [
                PendingWrite(self._path_of(i, None), "render", i, self.owner) for i in memory_ids
            ]
            self._files.mark_pending(marks)
            self.render_marks(marks)

    # --- helpers --------------------------------------------------------------------------
    def _path_of(self, memory_id: str, namespace: str | None) -> str:
        state = self._files.file_of_memory(memory_id)
        if state is not None:
            return state.path
        if namespace is None:
            found = self._memories.memories_by_id([memory_id]).get(memory_id)
            namespace = found.namespace if found is not None else DEFAULT_NAMESPACE
        return memory_path(memory_id, namespace)

    def render_marks(self, marks: list[PendingWrite], *, owner: str | None = "") -> None:
        """Write the marked memories' files from the index (a memory gone: its file goes)."""
        ids = [m.record_id for m in marks if m.record_id is not None]
        records = self._memories.memory_records(ids)
        rendered: list[FileRecord] = []
        removed: list[str] = []
        for mark in marks:
            record = records.get(mark.record_id or "")
            target = self.root / mark.path
            if record is None:
                target.unlink(missing_ok=True)
                removed.append(mark.path)
                continue
            data = render_memory(record).encode("utf-8")
            with explained(target, SAVED):
                atomic_write(target, data)
            stat = target.stat()
            state = FileState(
                FOLDER_ROOT,
                mark.path,
                FileKind.MEMORY,
                record.memory.id,
                file_hash(data),
                stat.st_size,
                stat.st_mtime_ns,
            )
            rendered.append(FileRecord.of_memory(record.memory, state))
        try:
            self._files.finish_pending(
                [m.path for m in marks],
                owner=self.owner if owner == "" else owner,
                rendered=rendered,
                removed=removed,
            )
        except DiskFullError as exc:
            # The change and its files are there; only the marks stay, and the next open
            # renders those files again: not "nothing was kept", which the database's own
            # error says of the statement that hit the full disk.
            raise StorageError(
                f"disk full while writing the index of the files in {self.root}; {SAVED}"
            ) from exc
