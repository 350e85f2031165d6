from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from memvault.content.markdown.paths import RESERVED_TOP, PathEscapeError, atomic_write, note_path
from memvault.core.errors import InvalidInputError


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    return root


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.mark.parametrize(
    ("user_path", "relative"),
    [
        ("plan", "plan.md"),
        ("plan.md", "plan.md"),
        ("Plan.MD", "Plan.MD"),
        ("projects/2024/road map", "projects/2024/road map.md"),
        ("projects\\win\\note.md", "projects/win/note.md"),
        ("./a//b/./c", "a/b/c.md"),
        ("  spaced.md  ", "spaced.md"),
        ("Release 1.2", "Release 1.2.md"),
        ("Dr. Who", "Dr. Who.md"),
        ("v2.0-final", "v2.0-final.md"),
        ("notes.txt.md", "notes.txt.md"),
        ("memories-old/x", "memories-old/x.md"),
        ("docs/memories/x", "docs/memories/x.md"),
        ("日本語/メモ", "日本語/メモ.md"),
    ],
)
def test_normal_paths_stay_in_the_vault_and_get_md(
    vault: Path, user_path: str, relative: str
) -> None:
    absolute, rel = note_path(vault, user_path)
    assert rel == relative
    assert absolute == vault.resolve() / relative
    assert absolute.is_absolute()
    assert tree(vault) == []  # nothing created


@pytest.mark.parametrize(
    ("user_path", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (".", "names no note"),
        ("../x", "'..'"),
        ("a/../../x", "'..'"),
        ("a/..", "'..'"),
        ("a\\..\\..\\x", "'..'"),
        ("/etc/passwd", "absolute"),
        ("\\\\server\\share\\x", "absolute"),
        ("\\x", "absolute"),
        ("C:\\x", "absolute"),
        ("c:/x", "absolute"),
        ("C:x", "absolute"),
        (".git/config", "hidden"),
        ("notes/.obsidian/app", "hidden"),
        (".hidden.md", "hidden"),
        ("a/.../b", "hidden"),
        ("memories/x", RESERVED_TOP),
        ("Memories/x", RESERVED_TOP),
        ("./memories\\x.md", RESERVED_TOP),
        ("a\x00b", "control character"),
        ("a\nb", "control character"),
        ("a\tb", "control character"),
        ("a\x7fb", "control character"),
        ("note.md\n", "control character"),
    ],
)
def test_escapes_are_refused(vault: Path, user_path: str, words: str) -> None:
    with pytest.raises(PathEscapeError) as caught:
        note_path(vault, user_path)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message
    if user_path.strip():
        assert repr(user_path) in message
    assert tree(vault) == []


def test_reserved_folder_is_allowed_for_memvault_itself(vault: Path) -> None:
    absolute, rel = note_path(vault, "memories/x", allow_reserved=True)
    assert (absolute, rel) == (vault.resolve() / "memories" / "x.md", "memories/x.md")


@pytest.mark.parametrize("user_path", ["notes.txt", "a/script.sh", "John.Smith", "x.MDX"])
def test_other_file_types_are_refused(vault: Path, user_path: str) -> None:
    with pytest.raises(InvalidInputError, match="Markdown") as caught:
        note_path(vault, user_path)
    assert not isinstance(caught.value, PathEscapeError)
    assert f"{user_path.rsplit('/', maxsplit=1)[-1]}.md" in str(caught.value)


@pytest.mark.parametrize("user_path", ["folder/", "folder\\"])
def test_a_folder_is_not_a_note(vault: Path, user_path: str) -> None:
    with pytest.raises(InvalidInputError, match="folder"):
        note_path(vault, user_path)


needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")


@needs_symlinks
def test_symlinked_folder_pointing_outside_is_refused(vault: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, vault / "linked")
    for user_path in ["linked/x", "linked/deeper/x.md", "linked\\x"]:
        with pytest.raises(PathEscapeError, match="outside the vault"):
            note_path(vault, user_path)
    assert list(outside.iterdir()) == []


@needs_symlinks
def test_symlinked_file_pointing_outside_is_refused(vault: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("secret")
    os.symlink(secret, vault / "note.md")
    os.symlink(tmp_path / "missing.md", vault / "dangling.md")
    for user_path in ["note", "dangling.md"]:
        with pytest.raises(PathEscapeError, match="outside the vault"):
            note_path(vault, user_path)
    assert secret.read_text() == "secret"
    assert not (tmp_path / "missing.md").exists()


@needs_symlinks
def test_symlinks_inside_the_vault_are_followed_but_checked(vault: Path) -> None:
    (vault / "real").mkdir()
    (vault / ".git").mkdir()
    (vault / "memories").mkdir()
    os.symlink(vault / "real", vault / "alias")
    os.symlink(vault / ".git", vault / "sneaky")
    os.symlink(vault / "memories", vault / "mems")
    os.symlink(vault / "real" / "a.txt", vault / "text.md")
    assert note_path(vault, "alias/x") == (vault.resolve() / "alias" / "x.md", "alias/x.md")
    with pytest.raises(PathEscapeError, match="hidden"):
        note_path(vault, "sneaky/hooks/pre-commit.md")
    with pytest.raises(PathEscapeError, match=RESERVED_TOP):
        note_path(vault, "mems/x")
    with pytest.raises(PathEscapeError, match="not a note"):
        note_path(vault, "text")


@needs_symlinks
def test_symlink_loop_is_refused(vault: Path) -> None:
    os.symlink(vault / "loop", vault / "loop")
    with pytest.raises(PathEscapeError):
        note_path(vault, "loop/x")


@needs_symlinks
def test_vault_root_given_through_a_symlink(vault: Path, tmp_path: Path) -> None:
    os.symlink(vault, tmp_path / "via")
    absolute, rel = note_path(tmp_path / "via", "a/b")
    assert (absolute, rel) == (vault.resolve() / "a" / "b.md", "a/b.md")


def test_atomic_write_creates_folders_and_writes_bytes_exactly(vault: Path) -> None:
    target = vault / "a" / "b" / "note.md"
    atomic_write(target, "line\r\nnext\nü")
    assert target.read_bytes() == "line\r\nnext\nü".encode()
    atomic_write(target, b"\x00raw", fsync=True)
    assert target.read_bytes() == b"\x00raw"
    assert tree(vault) == ["a", "a/b", "a/b/note.md"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_atomic_write_keeps_the_permissions_of_the_note(vault: Path) -> None:
    target = vault / "note.md"
    atomic_write(target, "new")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    target.chmod(0o640)
    atomic_write(target, "again")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_failed_write_leaves_old_content_and_no_temp_file(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = vault / "note.md"
    target.write_text("old")

    def broken_replace(src: object, dst: object) -> None:
        assert Path(str(src)).name.startswith(".note.md.")
        assert Path(str(src)).name.endswith(".tmp")
        assert Path(str(src)).read_bytes() == b"new"
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new", fsync=True)
    assert target.read_text() == "old"
    assert tree(vault) == ["note.md"]


def test_failed_write_of_a_new_note_leaves_nothing(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(vault / "new.md", "text", fsync=True)
    assert tree(vault) == []


def test_atomic_write_onto_a_folder_fails_cleanly(vault: Path) -> None:
    (vault / "taken.md").mkdir()
    with pytest.raises(OSError):
        atomic_write(vault / "taken.md", "x")
    assert tree(vault) == ["taken.md"]


@needs_symlinks
def test_atomic_write_replaces_a_symlink_instead_of_writing_through(
    vault: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("keep")
    os.symlink(outside, vault / "link.md")
    atomic_write(vault / "link.md", "mine")
    assert outside.read_text() == "keep"
    assert not (vault / "link.md").is_symlink()
    assert (vault / "link.md").read_text() == "mine"
