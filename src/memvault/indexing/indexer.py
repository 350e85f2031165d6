"""``memvault index PATH``: a folder of Markdown, code, PDF and text, kept in step with the index.

Each run walks the folder (``.gitignore`` respected, binaries and huge files reported as
skipped), re-reads only files whose size, time and then hash changed, replaces their chunks
(unchanged chunks keep their ids and vectors), and forgets files that are gone. The run and
its progress are recorded (``index_runs``) so ``memvault jobs`` in another terminal shows it;
a run that is killed leaves every finished file indexed, and the next run picks up the rest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from memvault.content.chunking import (
    FoundFile,
    SkippedFile,
    WalkResult,
    chunk_file,
    language_for,
    walk,
)
from memvault.content.document_chunks import chunk_memories, document_id
from memvault.core.errors import InvalidInputError
from memvault.core.file_records import (
    FileKind,
    FileProblem,
    FileRecord,
    FileState,
    IndexRun,
    same_stat,
)
from memvault.core.ids import file_hash, owner_gone, owner_id
from memvault.core.times import file_time
from memvault.indexing.roots import IndexRoots
from memvault.storage.roles import FileIndex

log = logging.getLogger("memvault.index")

IndexProgress = Callable[[int, int, str], None]  # files done, files in all, current file
_PROGRESS_EVERY = 0.5  # seconds between progress rows written for other processes


@dataclass(slots=True)
class IndexReport:
    root: str
    files: int = 0  # indexable files found
    indexed: int = 0  # read and (re)chunked
    unchanged: int = 0
    removed: int = 0
    moved: int = 0  # files whose chunks came over from another namespace (``move``)
    chunks_added: int = 0
    chunks_removed: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "files": self.files,
            "indexed": self.indexed,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "moved": self.moved,
            "chunks": self.chunks_added,
            "chunks_removed": self.chunks_removed,
            "skipped": [{"path": s.relpath, "reason": s.reason} for s in self.skipped],
            "problems": [p.to_dict() for p in self.problems],
        }


class Indexer:
    def __init__(self, files: FileIndex, *, embed: bool) -> None:
        self._files = files
        self._embed = embed

    def run(
        self,
        path: Path,
        *,
        namespace: str,
        progress: IndexProgress | None = None,
        exclude: Sequence[Path] = (),
        roots: IndexRoots | None = None,
        move: bool = False,
    ) -> IndexReport:
        """Index ``path``; files under ``exclude`` (the vault's own folder and database) are
        left out, so indexing a folder that holds the home does not index the vault twice.

        With ``roots`` (a server's), a path outside them is refused before anything is read,
        even whether it exists. Files indexed before under another namespace are refused too
        unless ``move``: their chunks would leave that namespace's searches without a word.
        """
        target = path.expanduser() if roots is None else roots.admit(path)
        if not target.exists():
            raise InvalidInputError(f"no such file or folder: {path}")
        target = target.resolve()
        walked = _without(walk(target), [p.resolve() for p in exclude])
        whole_folder = target.is_dir()
        root = str(target if whole_folder else target.parent)
        report = IndexReport(root=root, files=len(walked.files), skipped=list(walked.skipped))
        known = self._files.file_states(root)
        moving = self._other_namespace(root, namespace, walked) if known else {}
        if moving and not move:
            raise InvalidInputError(_move_refusal(path, namespace, moving))
        report.moved = len(moving)
        owner = owner_id()
        run_id = self._files.start_index_run(root, namespace, owner, len(walked.files))
        last_report = 0.0
        try:
            for done, found in enumerate(walked.files, start=1):
                old = known.get(found.relpath)
                # A file indexed under another namespace is re-read so its chunks move over.
                self._index_file(
                    root, found, None if found.relpath in moving else old, namespace, report
                )
                if progress is not None:
                    progress(done, len(walked.files), found.relpath)
                if time.monotonic() - last_report >= _PROGRESS_EVERY:
                    self._files.update_index_run(
                        run_id, files_done=done, chunks=report.chunks_added
                    )
                    last_report = time.monotonic()
            if whole_folder:
                present = {f.relpath for f in walked.files}
                gone = [p for p in known if p not in present]
                report.removed = self._files.delete_files(root, gone) if gone else 0
        except BaseException as exc:
            log.warning("indexing %s stopped: %s: %s", path, type(exc).__name__, exc)
            self._files.update_index_run(
                run_id,
                files_done=report.indexed + report.unchanged,
                chunks=report.chunks_added,
                state="failed",
                error=f"{type(exc).__name__}: {exc}",
            )
            raise
        self._files.update_index_run(
            run_id, files_done=len(walked.files), chunks=report.chunks_added, state="done"
        )
        log.info(
            "indexed %s: %d files (%d read, %d unchanged, %d removed), %d chunks added",
            path,
            len(walked.files),
            report.indexed,
            report.unchanged,
            report.removed,
            report.chunks_added,
        )
        return report

    def _other_namespace(self, root: str, namespace: str, walked: WalkResult) -> dict[str, str]:
        """Files of this walk whose chunks sit in a namespace other than ``namespace``, with
        that namespace."""
        walking = {f.relpath for f in walked.files}
        found: dict[str, str] = {}
        page = 10_000
        offset = 0
        while True:
            records = self._files.list_files(
                FileKind.DOCUMENT, root=root, limit=page, offset=offset
            )
            found.update(
                (r.state.path, r.namespace)
                for r in records
                if r.namespace != namespace and r.state.path in walking
            )
            if len(records) < page:
                return found
            offset += page

    def _index_file(
        self,
        root: str,
        found: FoundFile,
        old: FileState | None,
        namespace: str,
        report: IndexReport,
    ) -> None:
        if old is not None and same_stat(old, found.size, found.mtime_ns):
            report.unchanged += 1
            return
        try:
            data = found.path.read_bytes()
        except OSError as exc:
            report.skipped.append(SkippedFile(found.relpath, f"unreadable: {exc.strerror}"))
            return
        digest = file_hash(data)
        state = FileState(
            root,
            found.relpath,
            FileKind.DOCUMENT,
            document_id(root, found.relpath),
            digest,
            found.size,
            found.mtime_ns,
        )
        if old is not None and old.content_hash == digest:
            self._files.set_file_states([state])
            report.unchanged += 1
            return
        try:
            chunks = chunk_file(found.relpath, data)
        except InvalidInputError as exc:
            report.problems.append(FileProblem(found.relpath, None, f"{found.relpath}: {exc}"))
            return
        modified = file_time(found.mtime_ns)
        kind = "code" if language_for(found.relpath) else "document"
        memories = chunk_memories(
            state.record_id,
            chunks,
            path=str(found.path),
            kind=kind,
            namespace=namespace,
            tags=(),
            created_at=modified,
            updated_at=modified,
        )
        record = FileRecord(state, namespace, found.relpath, (), {}, modified, modified)
        added, removed = self._files.put_document(record, memories, embed=self._embed)
        report.indexed += 1
        report.chunks_added += added
        report.chunks_removed += removed


def index_runs(files: FileIndex, limit: int) -> list[IndexRun]:
    """The latest runs, newest first. A run still ``running`` whose process is gone (killed: it
    had no chance to say so) is ``interrupted``; its finished files stay indexed and the next
    run reads the rest."""
    return [
        replace(run, state="interrupted")
        if run.state == "running" and owner_gone(run.owner)
        else run
        for run in files.index_runs(limit)
    ]


def _move_refusal(path: Path, namespace: str, moving: dict[str, str]) -> str:
    others = sorted(set(moving.values()))
    named = ", ".join(repr(n) for n in others)
    files = f"{len(moving)} file" + ("s" if len(moving) != 1 else "")
    return (
        f"{files} of {path} are indexed under namespace {named}: index them "
        f"again with --move (move=true over MCP) to move their chunks to {namespace!r}, "
        f"or keep namespace {others[0]!r}"
    )


def _without(walked: WalkResult, excluded: list[Path]) -> WalkResult:
    if not excluded:
        return walked
    kept = tuple(
        found
        for found in walked.files
        if not any(found.path == e or found.path.is_relative_to(e) for e in excluded)
    )
    return WalkResult(kept, walked.skipped)
