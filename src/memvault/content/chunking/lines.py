"""Cutting runs of source lines into chunks that fit ``ChunkLimits``.

Every chunker (Markdown, code, text, PDF) first decides where its natural sections are and then
hands each one here, so that size limits, overlap and line numbering follow one rule everywhere.
Pieces always end on whole lines, because a chunk must point at a line range a person can open;
blank lines are preferred as cut points because they usually separate thoughts (paragraphs,
functions in a class), and blank lines at a chunk's edges are dropped as they carry nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import accumulate

from memvault.content.chunking.chunks import Chunk, ChunkLimits
from memvault.content.chunking.prose import cut_prose


def split_lines(text: str) -> list[str]:
    r"""The file's lines as an editor numbers them (``\n`` and ``\r\n`` both end a line).

    ``str.splitlines`` is not used because it also breaks on form feeds and Unicode separators,
    which would shift every later line number away from what the user's editor shows.
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


def is_blank(line: str) -> bool:
    return not line.strip()


class _Span:
    """Lines ``start..end`` of a file with O(1) size queries (prefix sums)."""

    __slots__ = ("first_line", "lines", "prefix")

    def __init__(self, lines: Sequence[str], start: int, end: int, first_line: int) -> None:
        self.lines = lines[start:end]
        self.first_line = first_line + start  # the file line number of self.lines[0]
        self.prefix = list(accumulate((len(line) + 1 for line in self.lines), initial=0))

    def size(self, start: int, end: int) -> int:
        """Characters of lines ``start..end-1`` joined with newlines."""
        return self.prefix[end] - self.prefix[start] - 1

    def chunk(self, start: int, end: int, heading: str | None, page: int | None) -> Chunk:
        return Chunk(
            text="\n".join(self.lines[start:end]),
            line_start=self.first_line + start,
            line_end=self.first_line + end - 1,
            heading=heading,
            page=page,
        )

    def next_filled(self, index: int) -> int:
        while index < len(self.lines) and is_blank(self.lines[index]):
            index += 1
        return index

    def trim(self, start: int, end: int) -> tuple[int, int]:
        start = self.next_filled(start)
        while end > start and is_blank(self.lines[end - 1]):
            end -= 1
        return start, end


def cut(
    lines: Sequence[str],
    start: int,
    end: int,
    limits: ChunkLimits,
    *,
    first_line: int = 1,
    heading: str | None = None,
    page: int | None = None,
) -> list[Chunk]:
    """Chunks for one section, ``lines[start:end]``; ``lines[0]`` is file line ``first_line``.

    A section that fits is one chunk. A longer one is cut greedily; each piece after the first
    repeats up to ``limits.overlap_chars`` of whole trailing lines of the piece before, so text
    near a cut is found with its context on both sides.
    """
    span = _Span(lines, start, end, first_line)
    first, last = span.trim(0, len(span.lines))
    if first >= last:
        return []
    if span.size(first, last) <= limits.max_chars:
        return [span.chunk(first, last, heading, page)]
    return list(_pieces(span, first, last, limits, heading, page))


def _pieces(
    span: _Span, i: int, n: int, limits: ChunkLimits, heading: str | None, page: int | None
) -> Iterator[Chunk]:
    limit = limits.max_chars
    while i < n:
        if len(span.lines[i]) > limit:
            number = span.first_line + i
            for piece in _slices(span.lines[i], limit):
                yield Chunk(piece, number, number, heading, page)
            i = span.next_filled(i + 1)
            continue
        j = i + 1
        while j < n and span.size(i, j + 1) <= limit:
            j += 1
        if j == n:
            yield span.chunk(i, n, heading, page)
            return
        # Cut at a paragraph break when there is one, unless that would leave a stub piece.
        if not is_blank(span.lines[j]):
            for k in range(j - 1, i, -1):
                if span.size(i, k) < limit // 2:
                    break
                if is_blank(span.lines[k]):
                    j = k
                    break
        _, e = span.trim(i, j)
        yield span.chunk(i, e, heading, page)
        following = span.next_filled(e)  # exists: the section ends on a non-blank line
        i = _overlap_start(span, i, e, following, limits)


def _overlap_start(span: _Span, start: int, end: int, following: int, limits: ChunkLimits) -> int:
    """Where the next piece starts: on trailing lines of the piece ``start..end``, if they fit.

    The overlap must leave room for at least the next new line, or the split would not advance.
    """
    s = end
    while (
        s - 1 > start
        and span.size(s - 1, end) <= limits.overlap_chars
        and span.size(s - 1, following + 1) <= limits.max_chars
    ):
        s -= 1
    s = span.next_filled(s)
    return s if s < end else following


def _slices(line: str, limit: int) -> Iterator[str]:
    """Cut one overlong line, after a space where possible so words stay whole."""
    pos = 0
    while len(line) - pos > limit:
        space = line.rfind(" ", pos + limit // 2, pos + limit)
        stop = space + 1 if space != -1 else pos + limit
        if line[pos:stop].strip():
            yield line[pos:stop]
        pos = stop
    if line[pos:].strip():
        yield line[pos:]


def paragraphs(lines: Sequence[str], start: int, end: int) -> list[tuple[int, int]]:
    """The blank-line separated runs of ``lines[start:end]`` as ``(start, end)`` index pairs."""
    found: list[tuple[int, int]] = []
    run_start: int | None = None
    for index in range(start, end):
        if is_blank(lines[index]):
            if run_start is not None:
                found.append((run_start, index))
                run_start = None
        elif run_start is None:
            run_start = index
    if run_start is not None:
        found.append((run_start, end))
    return found


def grouped(
    lines: Sequence[str],
    start: int,
    end: int,
    limits: ChunkLimits,
    *,
    first_line: int = 1,
    page: int | None = None,
    prose: bool = False,
) -> list[Chunk]:
    """Paragraphs of ``lines[start:end]``, neighbours merged while they fit in one chunk.

    Merging keeps short paragraphs (a one-line note, a lone import) from becoming chunks too
    small to rank well; merged paragraphs keep the blank lines between them so the text still
    matches the file line for line. A paragraph too big for one chunk is cut between sentences
    when it is ``prose`` (text, PDF pages), else by line (code).
    """
    cutter = cut_prose if prose else cut
    span = _Span(lines, start, end, first_line)
    chunks: list[Chunk] = []
    group: tuple[int, int] | None = None
    for s, e in paragraphs(span.lines, 0, len(span.lines)):
        if group is not None and span.size(group[0], e) <= limits.max_chars:
            group = (group[0], e)
            continue
        if group is not None:
            chunks.append(span.chunk(*group, None, page))
            group = None
        if span.size(s, e) <= limits.max_chars:
            group = (s, e)
        else:
            chunks.extend(cutter(span.lines, s, e, limits, first_line=span.first_line, page=page))
    if group is not None:
        chunks.append(span.chunk(*group, None, page))
    return chunks
