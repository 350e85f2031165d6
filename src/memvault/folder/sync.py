"""Bring the index in line with the Markdown folder: the files are the truth.

A sync compares each Markdown file's size and modification time with what the index recorded,
re-reads only files that differ, and skips those whose bytes hash the same. Memory files become
memories (by the id in their front matter); any other Markdown file is a note, chunked by
headings, with ``[[wiki links]]`` and front matter relations recorded as links. A file that
cannot be read (broken front matter, a rule broken by a hand edit) is reported with its file
and line, keeps whatever the index had for it, and does not stop the rest.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memvault.content.markdown.frontmatter import FrontMatterError, parse
from memvault.content.markdown.links import link_key, wiki_links
from memvault.content.markdown.memory_file import is_memory_path, parse_memory
from memvault.content.markdown.note_names import note_keys, note_title
from memvault.content.markdown.session_file import is_session_path, parse_session
from memvault.core import inputs
from memvault.core.errors import ConflictError, InvalidInputError, NotFoundError
from memvault.core.file_records import (
    FOLDER_ROOT,
    FileKind,
    FileProblem,
    FileRecord,
    FileState,
    NoteLink,
    same_stat,
)
from memvault.core.ids import file_hash
from memvault.core.records import DEFAULT_NAMESPACE, MemoryRecord, Relation
from memvault.core.times import file_time, normal_timestamp
from memvault.folder.session_writer import session_file_record
from memvault.storage.roles import FileIndex, ImportLedger, SessionStore

NOTE_KIND = "note"
_BATCH = 500


@dataclass(slots=True)
class SyncReport:
    memories: int = 0  # memory files read (new or changed)
    notes: int = 0  # notes indexed (new or changed)
    sessions: int = 0  # session files read (new or changed)
    unchanged: int = 0
    removed: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    problems: list[FileProblem] = field(default_factory=list)
    # Memories whose file lacks import links the index has (a file written before files
    # carried them): ``reindex`` writes them out, so a later rebuild keeps the links.
    stale: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.memories + self.notes + self.sessions + self.removed

    def to_dict(self) -> dict[str, Any]:
        return {
            "memories": self.memories,
            "notes": self.notes,
            "sessions": self.sessions,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "chunks_added": self.chunks_added,
            "chunks_removed": self.chunks_removed,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True, slots=True)
class _OnDisk:
    path: str
    absolute: Path
    size: int
    mtime_ns: int


class FolderSync:
    def __init__(
        self,
        files: FileIndex,
        sessions: SessionStore,
        ledger: ImportLedger,
        root: Path,
        *,
        embed: bool,
    ) -> None:
        self._store = files
        self._sessions = sessions
        self._ledger = ledger
        self.root = root
        self._embed = embed

    def scan(self) -> dict[str, _OnDisk]:
        """Every Markdown file of the folder; hidden files and folders (``.obsidian``, temp
        files of atomic writes) are not part of it, nor links to files outside the folder
        (see :meth:`refused`)."""
        found: dict[str, _OnDisk] = {}
        for absolute, path in self._markdown_files():
            disk = self._look(absolute, path)
            if disk is not None:
                found[path] = disk
        return found

    def refused(self, paths: Iterable[str] | None = None) -> list[str]:
        """Markdown files (of ``paths``, or of the whole folder) that are links: never read,
        so a link to ``/etc/passwd`` cannot become searchable."""
        chosen = (
            [path for _, path in self._markdown_files()]
            if paths is None
            else [p for p in paths if p.endswith(".md")]
        )
        return sorted(p for p in chosen if self._is_link(self.root / p))

    def _markdown_files(self) -> Iterator[tuple[Path, str]]:
        for folder, dirs, files in os.walk(self.root):  # links to folders are not walked
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in files:
                if not name.startswith(".") and name.endswith(".md"):
                    absolute = Path(folder) / name
                    yield absolute, absolute.relative_to(self.root).as_posix()

    def _look(self, absolute: Path, path: str) -> _OnDisk | None:
        if self._is_link(absolute):
            return None
        try:
            stat = absolute.stat()
        except OSError:
            return None
        return _OnDisk(path, absolute, stat.st_size, stat.st_mtime_ns)

    def _is_link(self, absolute: Path) -> bool:
        """A link, or a file reached through a link to a folder: never followed. A link out of
        the folder would make its target searchable; one inside it would index a file twice
        (its target is indexed under its own path anyway)."""
        try:
            real = absolute.resolve()
        except (OSError, RuntimeError):  # a loop of links
            return True
        return absolute.is_symlink() or real != self.root.resolve() / absolute.relative_to(
            self.root
        )

    def sync(self, paths: Iterable[str] | None = None, *, force: bool = False) -> SyncReport:
        """Sync the whole vault, or just ``paths`` (vault-relative; missing ones are removed).

        ``force`` re-reads files even when size and time match the index.
        """
        wanted = None if paths is None else list(dict.fromkeys(paths))
        known = self._store.file_states(FOLDER_ROOT, wanted)
        on_disk, gone = self._targets(wanted, known)
        report = SyncReport()
        for path in self.refused(wanted):
            report.problems.append(
                FileProblem(path, None, f"{path}: a link; links are not followed (not read)")
            )
        if gone:
            report.removed += self._store.delete_files(FOLDER_ROOT, gone)
        memory_files: list[tuple[MemoryRecord, FileState]] = []
        touched_only: list[FileState] = []
        for path in sorted(on_disk):
            disk = on_disk[path]
            old = known.get(path)
            if not force and old and same_stat(old, disk.size, disk.mtime_ns):
                report.unchanged += 1
                continue
            try:
                data = disk.absolute.read_bytes()
            except OSError as exc:
                report.problems.append(FileProblem(path, None, f"{path}: cannot read: {exc}"))
                continue
            digest = file_hash(data)
            if not force and old and old.content_hash == digest:
                touched_only.append(_state(old, disk, digest))
                report.unchanged += 1
                continue
            memory_file = self._read_file(disk, data, digest, old, report)
            if memory_file is not None:
                memory_files.append(memory_file)
        if touched_only:
            self._store.set_file_states(touched_only)
        self._apply_memories(memory_files, known, report, whole_vault=paths is None)
        return report

    def _targets(
        self, paths: Iterable[str] | None, known: dict[str, FileState]
    ) -> tuple[dict[str, _OnDisk], list[str]]:
        """The files to look at, and the known ones that are gone."""
        if paths is None:
            on_disk = self.scan()
            return on_disk, [path for path in known if path not in on_disk]
        found: dict[str, _OnDisk] = {}
        gone = []
        for path in dict.fromkeys(paths):
            absolute = self.root / path
            disk = self._look(absolute, path) if path.endswith(".md") else None
            if disk is not None and absolute.is_file():
                found[path] = disk
            elif path in known:
                gone.append(path)
        return found, gone

    def _read_file(
        self, disk: _OnDisk, data: bytes, digest: str, old: FileState | None, report: SyncReport
    ) -> tuple[MemoryRecord, FileState] | None:
        """Index a note now; return a memory file's record (memories are applied together)."""
        path = disk.path
        try:
            text = data.decode("utf-8")
            if is_memory_path(path):
                record = parse_memory(text, path, modified=file_time(disk.mtime_ns))
                state = FileState(
                    FOLDER_ROOT, path, FileKind.MEMORY, record.memory.id, digest, *_stat(disk)
                )
                return record, state
            if is_session_path(path):
                self._index_session(path, text, disk, digest, old, report)
            else:
                self._index_note(path, text, disk, digest, old, report)
        except UnicodeDecodeError as exc:
            report.problems.append(
                FileProblem(path, None, f"{path}: not UTF-8 text (byte {exc.start})")
            )
        except FrontMatterError as exc:
            report.problems.append(FileProblem(path, exc.line, str(exc)))
        except (InvalidInputError, ConflictError, NotFoundError) as exc:  # a hand edit's doing
            report.problems.append(FileProblem(path, None, f"{path}: {exc}"))
        return None

    def _index_session(
        self,
        path: str,
        text: str,
        disk: _OnDisk,
        digest: str,
        old: FileState | None,
        report: SyncReport,
    ) -> None:
        record = parse_session(text, path)
        session = record.session
        if old is not None and old.record_id != session.id:
            self._store.delete_files(FOLDER_ROOT, [path])  # the file now holds another session
        state = FileState(FOLDER_ROOT, path, FileKind.SESSION, session.id, digest, *_stat(disk))
        self._sessions.put_session_record(
            record,
            namespace=session.project or DEFAULT_NAMESPACE,
            embed=self._embed,
            file=session_file_record(session, state),
        )
        report.sessions += 1

    # --- memory files -------------------------------------------------------------------------
    def _apply_memories(
        self,
        items: list[tuple[MemoryRecord, FileState]],
        known: dict[str, FileState],
        report: SyncReport,
        *,
        whole_vault: bool,
    ) -> None:
        # A file whose front matter now names another id: the memory it held is gone.
        renamed = [
            s.path for _, s in items if s.path in known and known[s.path].record_id != s.record_id
        ]
        if renamed:
            self._store.delete_files(FOLDER_ROOT, renamed)
        # Which file each memory id belongs to: ``known`` has every file of a whole-vault sync
        # (a reindex of 100k files must not ask once per file); a sync of a few paths asks.
        owners = (
            {s.record_id: s.path for s in known.values() if s.kind is FileKind.MEMORY}
            if whole_vault
            else None
        )
        items = [item for item in items if not self._duplicate(item, owners, report)]
        applied: list[MemoryRecord] = []
        for start in range(0, len(items), _BATCH):
            batch = items[start : start + _BATCH]
            errors = self._store.put_memory_files(
                [(record.memory, state) for record, state in batch], embed=self._embed
            )
            for record, state in batch:
                if state.path in errors:
                    report.problems.append(
                        FileProblem(state.path, None, f"{state.path}: {errors[state.path]}")
                    )
                else:
                    applied.append(record)
                    report.memories += 1
        # Relations after every memory of the batch exists: a file may point at one read later.
        for start in range(0, len(applied), _BATCH):
            warnings = self._store.put_relations(applied[start : start + _BATCH], embed=self._embed)
            path_of = {r.memory.id: s.path for r, s in items}
            for memory_id, messages in warnings.items():
                path = path_of[memory_id]
                report.problems.extend(FileProblem(path, None, f"{path}: {m}") for m in messages)
            report.stale.extend(self._without_links(applied[start : start + _BATCH]))

    def _without_links(self, records: list[MemoryRecord]) -> list[str]:
        """Ids of these memories whose files do not carry every import link of the index."""
        known = self._ledger.import_origins([r.memory.id for r in records])
        return [
            r.memory.id
            for r in records
            if r.memory.id in known and not set(known[r.memory.id]) <= set(r.imports)
        ]

    def _duplicate(
        self,
        item: tuple[MemoryRecord, FileState],
        owners: dict[str, str] | None,
        report: SyncReport,
    ) -> bool:
        """A copied memory file: its id already has another file that still exists."""
        record, state = item
        if owners is not None:
            owner = owners.get(record.memory.id)
        else:
            found = self._store.file_of_memory(record.memory.id)
            owner = None if found is None else found.path
        if owner is None or owner == state.path or not (self.root / owner).exists():
            return False
        report.problems.append(
            FileProblem(
                state.path,
                None,
                f"{state.path}: memory id {record.memory.id} belongs to {owner}; "
                "give the copy a new id (or remove the id line) to make it a memory of its own",
            )
        )
        return True

    # --- notes --------------------------------------------------------------------------------
    def _index_note(
        self,
        path: str,
        text: str,
        disk: _OnDisk,
        digest: str,
        old: FileState | None,
        report: SyncReport,
    ) -> None:
        # The chunkers (tree-sitter, pathspec, ...) load with the first note indexed, not with
        # every process that opens a vault.
        from memvault.content.chunking import chunk_markdown
        from memvault.content.document_chunks import chunk_memories, document_id

        document = parse(text, source=path)
        front = document.front_matter
        note_id = inputs.memory_id(str(front.get("id") or document_id(FOLDER_ROOT, path)))
        if old is not None and old.record_id != note_id:
            self._store.delete_files(FOLDER_ROOT, [path])
        title = note_title(front, document.body, path)
        tags = inputs.tags(inputs.tag_values(front.get("tags")))
        namespace = inputs.namespace(str(front.get("namespace") or DEFAULT_NAMESPACE))
        modified = file_time(disk.mtime_ns)
        created_at = _time_or(front.get("created_at"), modified)
        updated_at = _time_or(front.get("updated_at"), modified)
        chunks = chunk_memories(
            note_id,
            chunk_markdown(document.body, first_line=document.body_start_line),
            path=path,
            kind=NOTE_KIND,
            namespace=namespace,
            tags=tags,
            created_at=created_at,
            updated_at=updated_at,
        )
        record = FileRecord(
            state=FileState(FOLDER_ROOT, path, FileKind.NOTE, note_id, digest, *_stat(disk)),
            namespace=namespace,
            title=title,
            tags=tags,
            front_matter=front,
            created_at=created_at,
            updated_at=updated_at,
        )
        added, removed = self._store.put_document(
            record,
            chunks,
            links=_links(front, document.body, document.body_start_line),
            keys=note_keys(path, title),
            embed=self._embed,
        )
        report.notes += 1
        report.chunks_added += added
        report.chunks_removed += removed


def _links(front: dict[str, Any], body: str, body_start: int) -> list[NoteLink]:
    links = [
        NoteLink(link_key(link.target), Relation.RELATES_TO.value, link.line + body_start - 1)
        for link in wiki_links(body)
    ]
    # Front matter relations: {relation: target or [targets]}, targets as names or [[links]].
    relations = front.get("relations")
    if isinstance(relations, dict):
        for relation, targets in relations.items():
            name = inputs.name(str(relation), "relation")
            for target in targets if isinstance(targets, list) else [targets]:
                text = str(target).strip().removeprefix("[[").removesuffix("]]")
                text = text.split("|", 1)[0].split("#", 1)[0]
                if link_key(text):
                    links.append(NoteLink(link_key(text), name, None))
    return [link for link in links if link.target]


def _stat(disk: _OnDisk) -> tuple[int, int]:
    return disk.size, disk.mtime_ns


def _state(old: FileState, disk: _OnDisk, digest: str) -> FileState:
    return FileState(old.root, old.path, old.kind, old.record_id, digest, disk.size, disk.mtime_ns)


def _time_or(value: Any, default: str) -> str:
    return default if value is None or value == "" else normal_timestamp(str(value))
