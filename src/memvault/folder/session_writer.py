"""Session files follow the index: every change of a session is rendered to its file.

The same order as memory files (see ``memory_writer.py``): under the folder lock, mark the file
in ``vault_pending``, change the database, render the file from the database as it now is, clear
the mark. A process killed in between leaves the mark and the next one renders the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from memvault.content.markdown.paths import atomic_write
from memvault.content.markdown.session_file import render_session, session_path
from memvault.core.file_records import FOLDER_ROOT, FileKind, FileRecord, FileState, PendingWrite
from memvault.core.ids import file_hash
from memvault.core.records import DEFAULT_NAMESPACE
from memvault.core.session_records import Session
from memvault.folder.disk_errors import SAVED, explained
from memvault.folder.lock import FolderLock
from memvault.storage.roles import FileIndex, SessionStore


class SessionFileWriter:
    def __init__(
        self, files: FileIndex, sessions: SessionStore, root: Path, lock: FolderLock
    ) -> None:
        self._files = files
        self._sessions = sessions
        self.root = root
        self.lock = lock

    @contextmanager
    def changing(self, session: Session) -> Iterator[None]:
        """Around a database change of this session (its file is rendered after it, also
        after a failed change: the file then shows the unchanged rows)."""
        with self.lock.held():
            mark = self._mark(session)
            self._files.mark_pending([mark])
            try:
                yield
            finally:
                self.render([mark])

    @contextmanager
    def changing_many(self, sessions: Sequence[Session]) -> Iterator[list[Session]]:
        """Around a change of many sessions (retention); sessions the change turns out to touch
        as well can be added to the yielded list, and are rendered too."""
        with self.lock.held():
            marks = [
                PendingWrite(session_path(s), "render", s.id, self.lock.owner) for s in sessions
            ]
            self._files.mark_pending(marks)
            touched = list(sessions)
            try:
                yield touched
            finally:
                known = {m.record_id for m in marks}
                extra = [self._mark(s) for s in touched if s.id not in known]
                self._files.mark_pending(extra)
                self.render([*marks, *extra])

    def _mark(self, session: Session) -> PendingWrite:
        return PendingWrite(session_path(session), "render", session.id, self.lock.owner)

    def render(self, marks: Sequence[PendingWrite], *, owner: str | None = "") -> None:
        """Write the marked sessions' files from the index (a session gone: its file goes)."""
        rendered: list[FileRecord] = []
        removed: list[str] = []
        for mark in marks:
            record = self._sessions.session_record(mark.record_id or "")
            target = self.root / mark.path
            if record is None:
                target.unlink(missing_ok=True)
                removed.append(mark.path)
                continue
            data = render_session(record).encode("utf-8")
            with explained(target, SAVED):
                atomic_write(target, data)
            stat = target.stat()
            session = record.session
            state = FileState(
                FOLDER_ROOT,
                mark.path,
                FileKind.SESSION,
                session.id,
                file_hash(data),
                stat.st_size,
                stat.st_mtime_ns,
            )
            rendered.append(session_file_record(session, state))
        self._files.finish_pending(
            [m.path for m in marks],
            owner=self.lock.owner if owner == "" else owner,
            rendered=rendered,
            removed=removed,
        )


def session_file_record(session: Session, state: FileState) -> FileRecord:
    """What the index records of a session's file."""
    return FileRecord(
        state,
        session.project or DEFAULT_NAMESPACE,
        session.title,
        (),
        {},
        session.started_at,
        session.last_active_at,
    )
