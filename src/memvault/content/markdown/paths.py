"""Note paths an agent or a user names, checked to stay inside the vault, and safe file writes.

The path of a note comes from outside (an agent's tool call, a command line, a link), so it is
untrusted: ``../``, an absolute path or a symbolic link must never let a write land outside the
vault, in its hidden folders (``.git`` holds hooks that run code, ``.obsidian`` the editor's
settings) or in ``memories/``, which memvault writes itself. Writes replace a file in one step,
so an editor, a sync client or a crash never sees half a note.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

from memvault.core.errors import InvalidInputError

RESERVED_TOP = "memories"  # memvault's own folder of memory files inside the vault

_DRIVE = re.compile(r"[A-Za-z]:")  # "C:\x", and "C:x", which is relative to C:'s own folder
# Only a short run of letters and digits after the last dot is a file type: "Release 1.2" and
# "Dr. Who" are note names, "notes.txt" is not a note.
_EXTENSION = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,10}")
_SUFFIX = ".md"


class PathEscapeError(InvalidInputError):
    """A note path that would reach outside the vault or into a folder the vault keeps apart."""


def note_path(
    vault_root: Path, user_path: str, *, allow_reserved: bool = False
) -> tuple[Path, str]:
    """The absolute path of the note ``user_path`` names, and its vault-relative posix path.

    ``.md`` is added when the name has no file type; another file type is refused. Only checks:
    nothing is created. ``allow_reserved`` lets memvault itself reach ``memories/``.
    """
    shown = repr(user_path)
    if any(ord(char) < 32 or char == "\x7f" for char in user_path):
        raise PathEscapeError(f"note path {shown} contains a control character")
    if any("\ud800" <= char <= "\udfff" for char in user_path):  # undecodable bytes
        raise InvalidInputError(f"note path {shown} is not valid UTF-8")
    text = user_path.strip()
    if not text:
        raise PathEscapeError("the note path is empty")
    if text.startswith(("/", "\\")) or _DRIVE.match(text):
        raise PathEscapeError(
            f"note path {shown} is absolute; give a path inside the vault, like 'ideas/plan.md'"
        )
    if text.endswith(("/", "\\")):
        raise InvalidInputError(f"note path {shown} ends with a slash: it names a folder")
    parts = [part for part in text.replace("\\", "/").split("/") if part not in ("", ".")]
    if not parts:
        raise PathEscapeError(f"note path {shown} names no note")
    _check_parts(parts, shown, allow_reserved)
    parts[-1] = _with_suffix(parts[-1], shown)

    root = vault_root.resolve()
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve()  # follows the symbolic links among the existing parts
    except (OSError, RuntimeError) as error:  # RuntimeError: a symbolic link loop
        raise PathEscapeError(f"note path {shown} cannot be resolved: {error}") from None
    if resolved == root or not resolved.is_relative_to(root):
        raise PathEscapeError(f"note path {shown} leads outside the vault through a symbolic link")
    # A link may stay inside the vault and still land where a plain path may not go.
    landing = resolved.relative_to(root).parts
    _check_parts(landing, f"{shown} (through a symbolic link)", allow_reserved)
    if not landing[-1].casefold().endswith(_SUFFIX):
        raise PathEscapeError(
            f"note path {shown} leads to a file that is not a note: {'/'.join(landing)}"
        )
    return candidate, "/".join(parts)


def atomic_write(path: Path, data: str | bytes, *, fsync: bool = False) -> None:
    """Replace ``path`` with ``data`` in one step: readers see the old file or the new one.

    Text is written as UTF-8 with its line breaks as given. The temporary file sits next to the
    target (a rename is atomic only within one file system) and is named ``.<name>.<random>.tmp``
    so file watchers and vault walkers can skip it. ``fsync`` also makes the write durable, at
    the price of waiting for the disk. On failure the temporary file is removed and the old file
    is untouched. A symbolic link at ``path`` is replaced, not written through.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    temp, fd = _open_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            # Best effort: keep the permissions a person gave the note (new notes get the
            # umask's); a note owned by someone else can still be replaced, just not chmod-ed.
            os.chmod(temp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    if fsync:
        _sync_folder(folder)


def _check_parts(parts: Sequence[str], shown: str, allow_reserved: bool) -> None:
    for part in parts:
        if part == "..":
            raise PathEscapeError(f"note path {shown} goes up out of its folder with '..'")
        if part.startswith("."):
            raise PathEscapeError(f"note path {shown} reaches into the hidden {part!r}")
    if not allow_reserved and parts[0].casefold() == RESERVED_TOP:  # case-blind file systems
        raise PathEscapeError(
            f"note path {shown} is inside {RESERVED_TOP}/, where memvault keeps its own memory "
            "files; pick another folder"
        )


def _with_suffix(name: str, shown: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not _EXTENSION.fullmatch(extension):
        return name + _SUFFIX
    if f".{extension}".casefold() == _SUFFIX:
        return name
    raise InvalidInputError(
        f"note path {shown} ends in .{extension}, but notes are Markdown files; "
        f"name it '{name}.md' to keep the dot in the name"
    )


def _open_temp(path: Path) -> tuple[Path, int]:
    # os.open, unlike tempfile, lets the umask set the permissions of a new note (not 0600);
    # O_BINARY keeps Windows from translating line breaks.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = path.with_name(f".{path.name[:150]}.{secrets.token_hex(4)}.tmp")
        with contextlib.suppress(FileExistsError):
            return temp, os.open(temp, flags, 0o666)


def _sync_folder(folder: Path) -> None:
    if os.name != "posix":  # Windows cannot open a folder to sync it
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        # The rename is done by now: a file system that cannot sync folders must not make a
        # write that happened look failed.
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
