"""The Markdown folder of a vault: its lock, its memory files, its notes, and syncing it.

One object per open vault holds them together, so ``Vault`` stays a thin list of operations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memvault.content.markdown.session_file import is_session_path
from memvault.core.errors import StorageError
from memvault.core.file_records import FOLDER_ROOT, FileKind
from memvault.core.records import CheckResult
from memvault.folder.lock import FolderLock
from memvault.folder.memory_damage import damaged_memory_files, set_aside
from memvault.folder.memory_writer import MemoryFileWriter
from memvault.folder.notes import Notes
from memvault.folder.session_writer import SessionFileWriter
from memvault.folder.sync import FolderSync, SyncReport
from memvault.storage import Store

log = logging.getLogger(__name__)
_ADOPT_BATCH = 1000


@dataclass(frozen=True, slots=True)
class ReindexReport:
    sync: SyncReport
    adopted: int  # memories the index had without a file (e.g. from before the vault): written
    notes: int  # totals in the index afterwards
    memories: int
    edges: int  # edges between memories
    links: int  # links written in notes

    def to_dict(self) -> dict[str, Any]:
        return {
            "notes": self.notes,
            "memories": self.memories,
            "edges": self.edges + self.links,
            "memory_edges": self.edges,
            "note_links": self.links,
            "adopted": self.adopted,
            "changed": self.sync.to_dict(),
            "problems": [p.to_dict() for p in self.sync.problems],
        }


class MarkdownFolder:
    def __init__(
        self, store: Store, root: Path, *, embed: bool, written: Callable[[], None]
    ) -> None:
        """``embed``: new memories and chunks get embed jobs; ``written`` is called once new
        jobs are queued (it wakes the embedding worker)."""
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self._store = store
        self._written = written
        self.lock = FolderLock(root)
        self._sync = FolderSync(store, store, store, root, embed=embed)
        self.memory_files = MemoryFileWriter(store, store, root, self.lock)
        self.session_files = SessionFileWriter(store, store, root, self.lock)
        self.notes = Notes(store, root, self.lock, self._sync, written=written)
        self.recover()

    def recover(self) -> int:
        """Finish the writes of processes that died mid-way; returns how many files."""
        with self.lock.held():
            # Live writers hold the lock while their marks exist: what is left now is unfinished.
            marks = self._store.pending_writes()
            if not marks:
                return 0
            log.warning(
                "finishing %d vault writes left unfinished (a stopped process or a full disk)",
                len(marks),
            )
            renders = [m for m in marks if m.action == "render"]
            try:
                self.memory_files.render_marks(
                    [m for m in renders if not is_session_path(m.path)], owner=None
                )
                self.session_files.render(
                    [m for m in renders if is_session_path(m.path)], owner=None
                )
            except StorageError as exc:  # disk still full: the marks stay, reads still work
                log.warning("%s", exc)
                return 0
            notes = [m.path for m in marks if m.action == "index"]
            if notes:
                self._sync.sync(notes)
                self._store.finish_pending(notes, owner=None)
            return len(marks)

    def sync(self, paths: Iterable[str] | None = None, *, force: bool = False) -> SyncReport:
        with self.lock.held():
            report = self._sync.sync(paths, force=force)
        if report.changed:
            self._written()
        return report

    def check(self) -> CheckResult:
        """Do the vault's files and the index agree (nothing pending, changed or missing)?"""
        with self.lock.held():
            pending = self._store.pending_writes()
            known = self._store.file_states(FOLDER_ROOT)
            on_disk = self._sync.scan()
            without_file = self._store.memories_without_file(5)
            damaged = damaged_memory_files(
                self._store, self.root, known, {p: (d.size, d.mtime_ns) for p, d in on_disk.items()}
            )
        findings = {
            "memory files damaged (cut short or unreadable)": sorted(damaged),
            "writes left unfinished": [p.path for p in pending],
            "indexed files gone from disk": [p for p in known if p not in on_disk],
            "files not indexed": [p for p in on_disk if p not in known],
            "files changed since the last sync": [
                p
                for p, disk in on_disk.items()
                if p in known
                and p not in damaged
                and (known[p].size, known[p].mtime_ns) != (disk.size, disk.mtime_ns)
            ],
            "memories without a file": without_file,
        }
        wrong = {name: paths for name, paths in findings.items() if paths}
        counts = {"files": len(on_disk), **{_key(n): len(p) for n, p in findings.items()}}
        if not wrong:
            return CheckResult("vault", True, f"{len(on_disk)} files agree with the index", counts)
        detail = "; ".join(
            f"{len(paths)} {name} ({', '.join(paths[:3])}{', …' if len(paths) > 3 else ''})"
            for name, paths in wrong.items()
        )
        return CheckResult("vault", False, f"{detail}; run memvault repair", counts)

    def damaged_memory_files(self) -> dict[str, str]:
        """Memory files cut short or unreadable (see :mod:`.memory_damage`): path → why."""
        with self.lock.held():
            on_disk = {p: (d.size, d.mtime_ns) for p, d in self._sync.scan().items()}
            known = self._store.file_states(FOLDER_ROOT)
            return damaged_memory_files(self._store, self.root, known, on_disk)

    def memory_files_gone(self) -> list[str]:
        """Memory files the index recorded that are no longer on disk."""
        with self.lock.held():
            known = self._store.file_states(FOLDER_ROOT)
            return sorted(
                path
                for path, state in known.items()
                if state.kind is FileKind.MEMORY and not (self.root / path).is_file()
            )

    def restore_memory_files(self, paths: list[str]) -> Path | None:
        """Render these memory files again from the index (damaged or gone), the damaged ones
        first set aside; returns where the damaged copies went."""
        if not paths:
            return None
        with self.lock.held():
            known = self._store.file_states(FOLDER_ROOT, paths)
            present = [p for p in paths if p in known and (self.root / p).is_file()]
            aside = set_aside(self.root, present) if present else None
            self.memory_files.render([known[p].record_id for p in paths if p in known])
        return aside

    def reindex(self, *, full: bool = True) -> ReindexReport:
        with self.lock.held():
            report = self.sync(force=full)
            if report.stale:  # files from before memory files carried import links
                self.memory_files.render(report.stale)
            adopted = 0
            seen: set[str] = set()
            while ids := self._store.memories_without_file(_ADOPT_BATCH):
                if seen.issuperset(ids):  # rendering failed to record them: do not spin
                    break
                seen.update(ids)
                self.memory_files.render(ids)
                adopted += len(ids)
        counts = self._store.file_counts()
        return ReindexReport(
            sync=report,
            adopted=adopted,
            notes=counts["note"],
            memories=counts["memory"],
            edges=self._store.stats().edges,
            links=counts["links"],
        )


def _key(finding: str) -> str:
    """A finding's name as a count key: ``writes left unfinished`` → ``writes_left_unfinished``."""
    return finding.split(" (", maxsplit=1)[0].replace(" ", "_")
