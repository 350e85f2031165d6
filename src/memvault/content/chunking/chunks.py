"""The unit of indexing: a run of whole source lines that a search result can point back to.

A chunk remembers where it came from (line range, heading, PDF page) so that a hit can be shown
as ``notes/setup.md:12-30 (Install > Linux)`` and opened at the right place, rather than as an
anonymous excerpt. Its ``text`` is the source lines themselves, untouched, so a reader can check
the hit against the file and a re-index of an unchanged file gives identical chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

from memvault.core.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of a file.

    ``text`` is lines ``line_start..line_end`` (1-based, inclusive) joined with ``"\\n"``, with
    no trailing newline and any ``"\\r"`` of CRLF files removed. Two exceptions: prose too long
    for one chunk is cut between sentences (``prose.py``), so its piece may start inside its
    first line and end inside its last; and a single code line longer than
    ``ChunkLimits.max_chars`` (minified code) is cut into consecutive slices that all carry
    that line's number.
    """

    text: str
    line_start: int
    line_end: int
    # Markdown: the heading path ("Install > Linux"); code: the definition ("def load_config").
    heading: str | None = None
    page: int | None = None  # PDF only, 1-based; line numbers then count within the page


@dataclass(frozen=True, slots=True)
class ChunkLimits:
    """How big a chunk may get.

    The default fits comfortably in a small embedding model's window while keeping a whole
    function or paragraph together; the overlap keeps a sentence cut at a piece boundary
    findable from either side.
    """

    max_chars: int = 1500
    overlap_chars: int = 200

    def __post_init__(self) -> None:
        if self.max_chars < 1:
            raise InvalidInputError(f"max_chars must be at least 1, not {self.max_chars}")
        # An overlap as large as the piece itself would make the next piece start where the
        # last one did and the split would never end.
        if not 0 <= self.overlap_chars < self.max_chars:
            raise InvalidInputError(
                f"overlap_chars must be between 0 and max_chars - 1 ({self.max_chars - 1}), "
                f"not {self.overlap_chars}"
            )
