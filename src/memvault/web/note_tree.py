"""The folder tree of the Notes page: the indexed notes, grouped by folder.

The tree is built from the index (``Notes.list``), not by walking the disk, so it shows what
search and links see, and a DB-backed listing of thousands of notes costs one query per 10,000.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from memvault.core.file_records import FileRecord
from memvault.folder.notes import Notes

PAGE = 10_000  # the most Notes.list gives at once


@dataclass(frozen=True, slots=True)
class NoteEntry:
    path: str
    title: str


@dataclass(frozen=True, slots=True)
class Folder:
    name: str  # the last part of its path ("" for the top)
    path: str  # vault-relative, no slashes at either end ("" for the top)
    folders: tuple[Folder, ...]
    notes: tuple[NoteEntry, ...]

    @property
    def count(self) -> int:
        """Notes in this folder and every folder under it."""
        return len(self.notes) + sum(folder.count for folder in self.folders)


def all_notes(notes: Notes, folder: str | None) -> list[FileRecord]:
    """Every note (under ``folder``), walking the pages of the listing."""
    found: list[FileRecord] = []
    while True:
        page = notes.list(folder=folder, limit=PAGE, offset=len(found))
        found.extend(page)
        if len(page) < PAGE:
            return found


def build_tree(records: Iterable[FileRecord], top: str = "") -> Folder:
    """The folder ``top`` with the notes under it, folders first, each sorted by name."""
    top = top.strip("/")
    folders: dict[str, list[NoteEntry]] = {top: []}
    for record in records:
        path = record.state.path
        parent = path.rpartition("/")[0]
        if top and not (parent == top or parent.startswith(top + "/")):
            continue
        for ancestor in _ancestors(parent, top):
            folders.setdefault(ancestor, [])
        title = record.title or path.rpartition("/")[2].removesuffix(".md")
        folders[parent].append(NoteEntry(path, title))
    return _freeze(top, folders)


def breadcrumbs(folder: str) -> list[tuple[str, str]]:
    """(name, path) of each folder from the top down to ``folder``."""
    parts = [part for part in folder.strip("/").split("/") if part]
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]


def _ancestors(folder: str, top: str) -> list[str]:
    """``folder`` and the folders between it and ``top``."""
    found = []
    while folder != top:
        found.append(folder)
        folder = folder.rpartition("/")[0]
    return found


def _freeze(top: str, folders: dict[str, list[NoteEntry]]) -> Folder:
    children: dict[str, list[str]] = {path: [] for path in folders}
    for path in folders:
        if path != top:
            children[path.rpartition("/")[0]].append(path)

    def made(path: str) -> Folder:
        return Folder(
            path.rpartition("/")[2],
            path,
            tuple(made(child) for child in sorted(children[path], key=str.casefold)),
            tuple(sorted(folders[path], key=lambda note: note.path.casefold())),
        )

    return made(top)
