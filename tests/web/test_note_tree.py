"""The Notes page's folder tree: nested folders, titles, and one folder's part of it."""

from __future__ import annotations

from memvault.core.file_records import FileKind, FileRecord, FileState
from memvault.web.note_tree import breadcrumbs, build_tree


def record(path: str, title: str | None = None) -> FileRecord:
    state = FileState("", path, FileKind.NOTE, path, "0" * 64, 1, 1)
    return FileRecord(state, "default", title, (), {}, "", "")


RECORDS = [
    record("top.md", "Top"),
    record("b/deep/inner/x.md"),
    record("a/one.md", "One"),
    record("b/two.md", "Two"),
    record("bee/three.md", "Three"),  # shares a prefix with b/, not a child of it
]


def test_the_tree_nests_folders_and_counts_the_notes_under_each() -> None:
    tree = build_tree(RECORDS)
    assert [note.title for note in tree.notes] == ["Top"]
    assert [folder.path for folder in tree.folders] == ["a", "b", "bee"]
    b = tree.folders[1]
    assert (b.count, [n.title for n in b.notes]) == (2, ["Two"])
    deep = b.folders[0]
    assert (deep.name, deep.notes, deep.folders[0].path) == ("deep", (), "b/deep/inner")
    assert deep.folders[0].notes[0].title == "x"  # no title: the file name
    assert tree.count == 5


def test_one_folder_shows_only_what_is_under_it() -> None:
    tree = build_tree(RECORDS, "b/")
    assert (tree.path, tree.count) == ("b", 2)
    assert [folder.path for folder in tree.folders] == ["b/deep"]
    assert breadcrumbs("b/deep/") == [("b", "b"), ("deep", "b/deep")]
