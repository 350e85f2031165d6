"""The folders a server lets its clients index, and the one check every path goes through.

An MCP client asks the server to index a path, and the server reads it with the server's own
rights: without a limit, ``index_path("/etc")`` over HTTP puts the machine's files in search
results for anyone with the token. So a server names its roots (``memvault serve --index-root``)
and :meth:`IndexRoots.admit` refuses anything else. Paths are compared after resolving symlinks
(a link inside a root that points out of it is outside); the walk itself never follows a link
out of the folder it walks (:mod:`memvault.content.chunking.walker`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from memvault.core.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class IndexRoots:
    """Resolved folders; empty means nothing may be indexed."""

    folders: tuple[Path, ...]

    @classmethod
    def of(cls, folders: Iterable[str | Path]) -> IndexRoots:
        """Roots from what a user named: each must be an existing folder."""
        resolved: list[Path] = []
        for folder in folders:
            path = Path(folder).expanduser().resolve()
            if not path.is_dir():
                raise InvalidInputError(f"index root {folder} is not a folder")
            if path not in resolved:
                resolved.append(path)
        return cls(tuple(resolved))

    def admit(self, path: Path) -> Path:
        """``path`` resolved, if it lies in a root; else one clear refusal."""
        target = path.expanduser().resolve()
        if any(target.is_relative_to(root) for root in self.folders):
            return target
        if not self.folders:
            raise InvalidInputError(
                "this server may index no folders: start it with --index-root DIR to allow one"
            )
        allowed = ", ".join(str(root) for root in self.folders)
        raise InvalidInputError(
            f"{path} is outside the folders this server may index ({allowed}); "
            "start it with --index-root DIR to allow another"
        )

    def describe(self) -> str:
        """For the server's start line."""
        if not self.folders:
            return "index_path: off (no --index-root)"
        return "index_path may read: " + ", ".join(str(root) for root in self.folders)
