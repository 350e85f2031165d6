"""Which files of a folder to index, and why the others were left out.

Indexing a project should see what its author sees in version control: build output, virtual
environments and caches listed in ``.gitignore`` would bury the real files in search results.
Version-control folders are always skipped. Symlinks are not followed out of the folder or into
linked folders, so a walk cannot loop or wander into the rest of the disk. Binaries (a NUL byte
near the start, as git decides) and very large files are skipped; every skip the user might not
expect is reported with a reason instead of vanishing silently. Ignored files are not reported:
they were left out on purpose.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

from memvault.core.errors import InvalidInputError

VCS_FOLDERS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", ".pijul", "CVS"})
_SNIFF_BYTES = 8192
_ALLOWED_BINARY = (".pdf",)  # binary formats a chunker can read


@dataclass(frozen=True, slots=True)
class FoundFile:
    path: Path  # absolute
    relpath: str  # posix, relative to the walked root
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class SkippedFile:
    relpath: str
    reason: str  # short: "binary", "too large (12.0 MB > 5.0 MB)", "unreadable: ..."


@dataclass(frozen=True, slots=True)
class WalkResult:
    files: tuple[FoundFile, ...]  # sorted by relpath
    skipped: tuple[SkippedFile, ...]  # sorted by relpath


@dataclass(frozen=True, slots=True)
class _Rules:
    """The patterns of one ``.gitignore``; they match paths relative to its folder."""

    base: str  # relpath of the folder, "" for the root
    spec: GitIgnoreSpec


def walk(root: Path, *, max_bytes: int = 5_000_000) -> WalkResult:
    """The indexable files under ``root``, or ``root`` itself if it is a file."""
    if not os.path.exists(root):
        raise InvalidInputError(f"no such file or folder: {root}")
    real_root = Path(root).resolve()
    if real_root.is_file():
        return _single(real_root, Path(root).name, max_bytes)
    if not real_root.is_dir():
        raise InvalidInputError(f"not a file or folder: {root}")
    files: list[FoundFile] = []
    skipped: list[SkippedFile] = []
    # An explicit stack rather than recursion: deep trees must not hit the recursion limit.
    stack: list[tuple[Path, str, tuple[_Rules, ...]]] = [(real_root, "", ())]
    while stack:
        folder, rel, rules = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            skipped.append(SkippedFile(rel or ".", f"unreadable: {_why(exc)}"))
            continue
        if any(entry.name == ".gitignore" for entry in entries):
            loaded = _load_rules(folder / ".gitignore", rel)
            if isinstance(loaded, SkippedFile):
                skipped.append(loaded)
            else:
                rules = (*rules, loaded)
        for entry in entries:
            if entry.name in VCS_FOLDERS:
                continue
            relpath = f"{rel}/{entry.name}" if rel else entry.name
            outcome = _visit(entry, relpath, rules, real_root, max_bytes)
            if isinstance(outcome, FoundFile):
                files.append(outcome)
            elif isinstance(outcome, SkippedFile):
                skipped.append(outcome)
            elif outcome:
                stack.append((Path(entry.path), relpath, rules))
    return WalkResult(
        files=tuple(sorted(files, key=lambda f: f.relpath)),
        skipped=tuple(sorted(skipped, key=lambda s: s.relpath)),
    )


def _visit(
    entry: os.DirEntry[str],
    relpath: str,
    rules: tuple[_Rules, ...],
    real_root: Path,
    max_bytes: int,
) -> FoundFile | SkippedFile | bool | None:
    """A file found or skipped, True for a folder to descend into, None for nothing to do."""
    try:
        is_link = entry.is_symlink()
        # git matches a symlink as a file, whatever it points to.
        is_dir = entry.is_dir(follow_symlinks=False)
        if _ignored(rules, relpath, is_dir):
            return None
        if is_dir:
            return True
        if is_link:
            target = Path(os.path.realpath(entry.path))
            if not target.exists():
                return SkippedFile(relpath, "broken symlink")
            if not target.is_relative_to(real_root):
                return SkippedFile(relpath, "symlink leaves the folder")
            if target.is_dir():
                return SkippedFile(relpath, "symlinked folder (not followed)")
    except OSError as exc:
        return SkippedFile(relpath, f"unreadable: {_why(exc)}")
    return _check(Path(entry.path), relpath, max_bytes)


def _single(path: Path, name: str, max_bytes: int) -> WalkResult:
    outcome = _check(path, name, max_bytes)
    if isinstance(outcome, FoundFile):
        return WalkResult(files=(outcome,), skipped=())
    return WalkResult(files=(), skipped=(outcome,))


def _check(path: Path, relpath: str, max_bytes: int) -> FoundFile | SkippedFile:
    try:
        info = path.stat()
        # Opening a FIFO would block the walk until someone writes to it.
        if not stat.S_ISREG(info.st_mode):
            return SkippedFile(relpath, "not a regular file")
        if info.st_size > max_bytes:
            return SkippedFile(relpath, f"too large ({_size(info.st_size)} > {_size(max_bytes)})")
        if not relpath.lower().endswith(_ALLOWED_BINARY):
            with path.open("rb") as handle:
                if b"\0" in handle.read(_SNIFF_BYTES):
                    return SkippedFile(relpath, "binary")
    except OSError as exc:
        return SkippedFile(relpath, f"unreadable: {_why(exc)}")
    return FoundFile(path=path, relpath=relpath, size=info.st_size, mtime_ns=info.st_mtime_ns)


def _load_rules(path: Path, base: str) -> _Rules | SkippedFile:
    try:
        lines = path.read_text("utf-8", errors="replace").splitlines()
    except OSError as exc:
        return SkippedFile(
            f"{base}/.gitignore" if base else ".gitignore", f"unreadable: {_why(exc)}"
        )
    try:
        return _Rules(base, GitIgnoreSpec.from_lines(lines))
    except ValueError:
        # git ignores a malformed pattern (a lone "!") and keeps the rest; so do we.
        return _Rules(base, GitIgnoreSpec.from_lines([line for line in lines if _valid(line)]))


def _valid(line: str) -> bool:
    try:
        GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True


def _ignored(rules: tuple[_Rules, ...], relpath: str, is_dir: bool) -> bool:
    """gitignore precedence: the deepest ``.gitignore`` with a matching pattern decides.

    Within one file the last matching pattern wins (``check_file`` does that), so a ``!keep``
    after ``*.log`` re-includes. A file in an ignored folder is never reached, as in git.
    """
    for rule in reversed(rules):
        inside = relpath[len(rule.base) + 1 :] if rule.base else relpath
        # A trailing slash lets folder-only patterns such as "build/" match.
        decision = rule.spec.check_file(f"{inside}/" if is_dir else inside).include
        if decision is not None:
            return decision
    return False


def _size(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f} MB"
    if count >= 1_000:
        return f"{count / 1_000:.1f} KB"
    return f"{count} B"


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)
