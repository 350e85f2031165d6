"""Notes: Markdown files in the vault that people and agents both write.

The file is written first (atomically) and then indexed from the file, under the vault lock and
with a ``vault_pending`` mark, so a crash in between is finished by the next process. Every path
a caller gives goes through ``markdown.paths.note_path``: nothing is read or written outside the
vault, and ``memories/`` is memvault's own.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memvault.content.markdown import edits
from memvault.content.markdown.frontmatter import parse, render
from memvault.content.markdown.note_names import note_title
from memvault.content.markdown.paths import atomic_write, note_path
from memvault.core import inputs
from memvault.core.errors import ConflictError, InvalidInputError, NotFoundError
from memvault.core.file_records import FOLDER_ROOT, FileKind, FileRecord, LinkView, PendingWrite
from memvault.core.ids import file_hash, new_id
from memvault.core.records import DEFAULT_NAMESPACE
from memvault.core.times import now_iso
from memvault.folder.disk_errors import explained
from memvault.folder.lock import FolderLock
from memvault.folder.sync import FolderSync, SyncReport
from memvault.storage.roles import FileIndex

MAX_NOTE_BYTES = 10_000_000


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    path: str  # vault-relative
    title: str
    tags: tuple[str, ...]
    body: str
    front_matter: dict[str, Any]
    namespace: str = DEFAULT_NAMESPACE  # its chunks' namespace: what a filtered search sees
    # sha256 of the file's bytes as read: what an editor sends back as ``expected_hash``
    file_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "namespace": self.namespace,
            "tags": list(self.tags),
            "body": self.body,
            "front_matter": self.front_matter,
        }


class Notes:
    def __init__(
        self,
        files: FileIndex,
        root: Path,
        lock: FolderLock,
        sync: FolderSync,
        written: Callable[[], None] = lambda: None,
    ) -> None:
        self._files = files
        self.root = root
        self._lock = lock
        self._sync = sync
        self._written = written  # wakes the embedding worker for new chunks

    # --- write ----------------------------------------------------------------------------
    def write(
        self,
        path: str,
        body: str,
        *,
        title: str | None = None,
        tags: Iterable[str] | None = None,
        namespace: str | None = None,
        expected_hash: str | None = None,
        new: bool = False,
    ) -> Note:
        """Create the note, or replace its body (keeping its id and creation time).

        The namespace is written into the front matter (``namespace``: the one given, else the
        note's own, else the vault's default), so the file says which namespace-filtered
        searches find the note, and a rebuild from the folder gives the same answer.

        ``expected_hash`` (the :attr:`Note.file_hash` an editor loaded) and ``new`` (the path
        must be free) guard against writing over a change the writer has not seen: both are
        checked while the folder lock is held, so no other memvault write can slip in between
        the check and the write; a mismatch raises :class:`ConflictError` and writes nothing.
        """
        absolute, rel = note_path(self.root, path)
        body = _body(body)
        with self._lock.held():
            self._check_base(absolute, rel, expected_hash, new=new)
            at = now_iso()
            front: dict[str, Any] = {}
            if absolute.exists():
                front = dict(self._parse(absolute, rel).front_matter)
            front.setdefault("id", new_id())
            if title is not None:
                front["title"] = _title(title)
            elif "title" not in front:
                front["title"] = note_title({}, body, rel)
            if tags is not None:
                front["tags"] = list(inputs.tags(tags))
            if namespace is not None:
                front["namespace"] = inputs.namespace(namespace)
            else:
                front["namespace"] = inputs.namespace(
                    str(front.get("namespace") or DEFAULT_NAMESPACE)
                )
            front.setdefault("created_at", at)
            front["updated_at"] = at
            self._commit(rel, render(front, body))
        return self.read(rel)

    def edit(
        self,
        path: str,
        *,
        append: str | None = None,
        prepend: str | None = None,
        section: str | None = None,
        section_content: str | None = None,
        find: str | None = None,
        replace: str | None = None,
        expected: int | None = 1,
    ) -> Note:
        """One edit of a note's body: append, prepend, replace a section, or find-and-replace."""
        chosen = [append is not None, prepend is not None, section is not None, find is not None]
        if sum(chosen) != 1:
            raise InvalidInputError(
                "give exactly one edit: append, prepend, a section to replace, or find/replace"
            )
        if section_content is not None and section is None:
            raise InvalidInputError("new section content needs the heading of the section")
        if replace is not None and find is None:
            raise InvalidInputError("a replacement needs the text to find")
        absolute, rel = note_path(self.root, path)
        with self._lock.held():
            if not absolute.is_file():
                raise NotFoundError(f"no note at {rel}")
            document = self._parse(absolute, rel)
            body = document.body
            if append is not None:
                body = edits.append(body, append)
            elif prepend is not None:
                body = edits.prepend(body, prepend)
            elif section is not None:
                if section_content is None:
                    raise InvalidInputError("replacing a section needs its new content")
                body = edits.replace_section(body, section, section_content)
            else:
                assert find is not None
                if replace is None:
                    raise InvalidInputError("find needs a replacement (it may be empty)")
                body = edits.find_replace(body, find, replace, expected=expected)
            front = dict(document.front_matter)
            if front:
                front["updated_at"] = now_iso()
            self._commit(rel, render(front, _body(body)))
        return self.read(rel)

    def move(self, source: str, target: str) -> Note:
        source_abs, source_rel = note_path(self.root, source)
        target_abs, target_rel = note_path(self.root, target)
        with self._lock.held():
            if not source_abs.is_file():
                raise NotFoundError(f"no note at {source_rel}")
            if target_abs.exists():
                raise ConflictError(f"{target_rel} exists already; move it or delete it first")
            self._files.mark_pending(self._marks(source_rel, target_rel))
            target_abs.parent.mkdir(parents=True, exist_ok=True)
            source_abs.rename(target_abs)
            self._sync.sync([source_rel, target_rel])
            self._files.finish_pending([source_rel, target_rel], owner=self._lock.owner)
        self._written()
        return self.read(target_rel)

    def delete(self, path: str) -> None:
        absolute, rel = note_path(self.root, path)
        with self._lock.held():
            if not absolute.is_file():
                raise NotFoundError(f"no note at {rel}")
            self._files.mark_pending(self._marks(rel))
            absolute.unlink()
            self._sync.sync([rel])
            self._files.finish_pending([rel], owner=self._lock.owner)

    # --- read -----------------------------------------------------------------------------
    def read(self, path: str) -> Note:
        absolute, rel = note_path(self.root, path)
        if not absolute.is_file():
            raise NotFoundError(f"no note at {rel}")
        data = absolute.read_bytes()
        document = self._parse_bytes(data, rel)
        front = document.front_matter
        indexed = self._files.get_file(FOLDER_ROOT, rel)
        note_id = str(front.get("id") or (indexed.state.record_id if indexed else ""))
        title = note_title(front, document.body, rel)
        tags = indexed.tags if indexed else tuple(inputs.tag_values(front.get("tags")))
        namespace = indexed.namespace if indexed else str(front.get("namespace") or "")
        return Note(
            note_id,
            rel,
            title,
            tags,
            document.body,
            front,
            namespace or DEFAULT_NAMESPACE,
            file_hash(data),
        )

    def list(
        self,
        *,
        folder: str | None = None,
        tag: str | None = None,
        recent: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[FileRecord]:
        inputs.positive(limit, "limit", 10_000)
        inputs.count(offset, "offset")
        if folder:
            folder = folder.replace("\\", "/").strip("/")
            if ".." in folder.split("/"):
                raise InvalidInputError(f"folder {folder!r} leaves the vault")
        return self._files.list_files(
            FileKind.NOTE,
            root=FOLDER_ROOT,
            folder=folder or None,
            tag=None if tag is None else inputs.tags([tag])[0],
            recent=recent,
            limit=limit,
            offset=offset,
        )

    def links(self, path: str) -> tuple[builtins.list[LinkView], builtins.list[LinkView]]:
        """Links written in the note (resolved or not yet) and notes linking to it."""
        _, rel = note_path(self.root, path)
        if self._files.get_file(FOLDER_ROOT, rel) is None:
            raise NotFoundError(f"no note at {rel}")
        return self._files.note_links(FOLDER_ROOT, rel)

    # --- helpers --------------------------------------------------------------------------
    @staticmethod
    def _check_base(absolute: Path, rel: str, expected: str | None, *, new: bool) -> None:
        """Refuse a write made from a version of the file that is no longer on disk."""
        exists = absolute.exists()
        if new and exists:
            raise ConflictError(f"{rel} exists already: open it to edit it, or pick another path")
        if expected is None:
            return
        if not exists:
            raise ConflictError(f"{rel} was deleted since it was loaded; nothing was written")
        if file_hash(absolute.read_bytes()) != expected:
            raise ConflictError(f"{rel} changed on disk since it was loaded; nothing was written")

    def _commit(self, rel: str, text: str) -> SyncReport:
        with self._lock.held():
            self._files.mark_pending(self._marks(rel))
            with explained(self.root / rel, "the note was not changed"):
                atomic_write(self.root / rel, text.encode("utf-8"))
            report = self._sync.sync([rel])
            self._files.finish_pending([rel], owner=self._lock.owner)
        self._written()
        if report.problems:
            raise InvalidInputError(str(report.problems[0]))
        return report

    def _marks(self, *paths: str) -> builtins.list[PendingWrite]:
        return [PendingWrite(p, "index", None, self._lock.owner) for p in paths]

    @staticmethod
    def _parse(absolute: Path, rel: str) -> Any:
        return Notes._parse_bytes(absolute.read_bytes(), rel)

    @staticmethod
    def _parse_bytes(data: bytes, rel: str) -> Any:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"{rel} is not UTF-8 text (byte {exc.start})") from exc
        return parse(text, source=rel)


def _body(body: str) -> str:
    text = inputs.utf8_text(body, "note")
    if "\x00" in text:
        raise InvalidInputError("the note contains a NUL character")
    if len(text.encode("utf-8")) > MAX_NOTE_BYTES:
        raise InvalidInputError(f"the note is larger than {MAX_NOTE_BYTES:,} bytes")
    return text if text.endswith("\n") or not text else text + "\n"


def _title(title: str) -> str:
    text = inputs.utf8_text(title, "title").strip()
    if not text or "\n" in text or len(text) > 300:
        raise InvalidInputError("a title is one line of 1 to 300 characters")
    return text
