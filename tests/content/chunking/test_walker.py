from __future__ import annotations

import os
from pathlib import Path

import pytest

from memvault.content.chunking import FoundFile, SkippedFile, walk
from memvault.core.errors import InvalidInputError


def write(root: Path, relpath: str, content: str | bytes = "text\n") -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def relpaths(root: Path, **kwargs: int) -> list[str]:
    return [f.relpath for f in walk(root, **kwargs).files]


def skips(root: Path, **kwargs: int) -> dict[str, str]:
    return {s.relpath: s.reason for s in walk(root, **kwargs).skipped}


def test_files_are_sorted_relative_posix_paths_with_stat_details(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", "bb")
    write(tmp_path, "a/z.md")
    write(tmp_path, "a/b/c.py")
    result = walk(tmp_path)
    assert [f.relpath for f in result.files] == ["a/b/c.py", "a/z.md", "b.txt"]
    found = result.files[-1]
    stat = (tmp_path / "b.txt").stat()
    assert found == FoundFile(tmp_path.resolve() / "b.txt", "b.txt", 2, stat.st_mtime_ns)
    assert found.path.is_absolute()
    assert result.skipped == ()


def test_gitignore_at_the_root_and_nested_with_negation(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.log\n!keep.log\nbuild/\n/only-root.txt\n")
    write(tmp_path, "app.log")
    write(tmp_path, "keep.log")
    write(tmp_path, "build/out.txt")
    write(tmp_path, "only-root.txt")
    write(tmp_path, "sub/only-root.txt")
    write(tmp_path, "sub/build")  # a file: "build/" only ignores folders
    write(tmp_path, "sub/.gitignore", "*.tmp\n!keep.log\nnotes.md\n!*.log\n/local/\n")
    write(tmp_path, "sub/a.tmp")
    write(tmp_path, "sub/notes.md")
    write(tmp_path, "sub/debug.log")  # ignored by the root, re-included by sub/.gitignore
    write(tmp_path, "sub/local/x.txt")  # anchored to sub/
    write(tmp_path, "sub/deeper/local/y.txt")
    write(tmp_path, "sub/deeper/notes.md")  # unanchored pattern: applies below sub/ too
    write(tmp_path, "other/a.tmp")  # sub's rules do not reach sibling folders
    assert relpaths(tmp_path) == [
        ".gitignore",
        "keep.log",
        "other/a.tmp",
        "sub/.gitignore",
        "sub/build",
        "sub/debug.log",
        "sub/deeper/local/y.txt",
        "sub/only-root.txt",
    ]
    assert skips(tmp_path) == {}  # ignored files are not reported


def test_a_file_in_an_ignored_folder_cannot_be_re_included(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "vendor/\n!vendor/keep.txt\n")
    write(tmp_path, "vendor/keep.txt")
    assert relpaths(tmp_path) == [".gitignore"]


def test_vcs_folders_are_always_skipped(tmp_path: Path) -> None:
    write(tmp_path, ".git/config")
    write(tmp_path, ".hg/store")
    write(tmp_path, "sub/.svn/entries")
    write(tmp_path, "sub/file.txt")
    assert relpaths(tmp_path) == ["sub/file.txt"]


def test_binaries_are_skipped_but_pdfs_pass(tmp_path: Path) -> None:
    write(tmp_path, "image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    write(tmp_path, "late-nul.txt", b"a" * 9000 + b"\x00")  # beyond the sniffed 8 KiB
    write(tmp_path, "doc.PDF", b"%PDF-1.4\n\x00binary")
    assert relpaths(tmp_path) == ["doc.PDF", "late-nul.txt"]
    assert skips(tmp_path) == {"image.png": "binary"}


def test_large_files_are_skipped_with_their_size(tmp_path: Path) -> None:
    write(tmp_path, "big.txt", "x" * 12_000)
    write(tmp_path, "small.txt", "x" * 10)
    assert relpaths(tmp_path, max_bytes=5_000) == ["small.txt"]
    assert skips(tmp_path, max_bytes=5_000) == {"big.txt": "too large (12.0 KB > 5.0 KB)"}


def test_the_default_limit_reads_in_megabytes(tmp_path: Path) -> None:
    with (tmp_path / "huge.txt").open("wb") as handle:
        handle.truncate(12_000_000)  # sparse: no 12 MB written to disk
    assert skips(tmp_path) == {"huge.txt": "too large (12.0 MB > 5.0 MB)"}


def test_symlinked_folders_are_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root, "real/a.txt")
    (root / "linked").symlink_to(root / "real", target_is_directory=True)
    assert relpaths(root) == ["real/a.txt"]
    assert skips(root) == {"linked": "symlinked folder (not followed)"}


def test_symlinked_files_must_stay_inside_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root, "inside.txt")
    outside = write(tmp_path, "outside.txt")
    (root / "in-link.txt").symlink_to(root / "inside.txt")
    (root / "out-link.txt").symlink_to(outside)
    (root / "dangling.txt").symlink_to(root / "missing.txt")
    result = walk(root)
    assert [f.relpath for f in result.files] == ["in-link.txt", "inside.txt"]
    assert result.files[0].path == root.resolve() / "in-link.txt"
    assert {s.relpath: s.reason for s in result.skipped} == {
        "out-link.txt": "symlink leaves the folder",
        "dangling.txt": "broken symlink",
    }


def test_read_errors_are_reported_even_when_permissions_cannot_deny(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Running as root, chmod cannot make a file unreadable; fail the reads themselves.
    write(tmp_path, "secret.txt")
    write(tmp_path, "locked/x.txt")
    write(tmp_path, "fine.txt")
    real_open, real_scandir = Path.open, os.scandir

    def failing_open(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    def failing_scandir(path: object) -> object:
        if Path(str(path)).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", failing_open)
    monkeypatch.setattr(os, "scandir", failing_scandir)
    result = walk(tmp_path)
    assert [f.relpath for f in result.files] == ["fine.txt"]
    assert {s.relpath: s.reason for s in result.skipped} == {
        "locked": "unreadable: Permission denied",
        "secret.txt": "unreadable: Permission denied",
    }


def test_a_fifo_is_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    assert skips(tmp_path) == {"pipe": "not a regular file"}


def test_a_malformed_gitignore_line_is_ignored_and_the_rest_applies(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "!\n*.log\n")
    write(tmp_path, "a.log")
    write(tmp_path, "a.txt")
    assert relpaths(tmp_path) == [".gitignore", "a.txt"]


def test_a_single_file_root_is_just_that_file(tmp_path: Path) -> None:
    path = write(tmp_path, "sub/notes.md")
    result = walk(path)
    assert [(f.relpath, f.path) for f in result.files] == [("notes.md", path.resolve())]
    binary = write(tmp_path, "blob.bin", b"\x00\x01")
    assert walk(binary).skipped == (SkippedFile("blob.bin", "binary"),)


def test_a_missing_root_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(InvalidInputError, match=r"no such file or folder: .*nope"):
        walk(missing)
