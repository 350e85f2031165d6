"""Markdown notes cut by heading, so a hit names the section it came from.

A section (a heading and everything up to the next heading of any level) is usually one idea,
and its heading path ("Guide > Install > Linux") tells the reader, and the ranker, what the text
is about even when the text itself never says it. Only ATX headings (``#`` to ``######``) are
recognised: they are what notes and READMEs use, and they can be found line by line. Lines in
fenced code blocks are skipped while looking, since a shell comment or a Python comment in an
example starts with ``#`` too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from memvault.content.chunking.chunks import Chunk, ChunkLimits
from memvault.content.chunking.lines import split_lines
from memvault.content.chunking.prose import cut_prose

# CommonMark: up to three spaces of indent, then 1-6 '#', then a space or the end of the line.
_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)$")


@dataclass(frozen=True, slots=True)
class _Section:
    start: int  # index of the heading line (or 0 for text before the first heading)
    end: int  # exclusive
    heading: str | None


def chunk_markdown(
    text: str, limits: ChunkLimits = ChunkLimits(), first_line: int = 1
) -> list[Chunk]:
    """One chunk per heading section; longer sections cut between sentences with overlap, the
    heading kept with the text after it (``prose.cut_prose``).

    ``first_line`` is the file line where ``text`` starts, so a note whose YAML front matter was
    stripped off still reports line numbers of the file.
    """
    lines = split_lines(text)
    chunks: list[Chunk] = []
    for section in _sections(lines):
        chunks.extend(
            cut_prose(
                lines,
                section.start,
                section.end,
                limits,
                first_line=first_line,
                heading=section.heading,
                lead=_ATX.match(lines[section.start]) is not None,
            )
        )
    return chunks


def _sections(lines: list[str]) -> list[_Section]:
    sections: list[_Section] = []
    path: list[tuple[int, str]] = []  # (level, title) of the enclosing headings
    start, heading = 0, None
    fence: str | None = None  # the opening fence while inside a code block
    for index, line in enumerate(lines):
        if fence is not None:
            if _closes(line, fence):
                fence = None
            continue
        opened = _FENCE.match(line)
        # A backtick fence's info string may not contain backticks (CommonMark); such a line
        # is inline code, not a fence.
        if opened and not (opened.group(1)[0] == "`" and "`" in opened.group(2)):
            fence = opened.group(1)
            continue
        match = _ATX.match(line)
        if match is None:
            continue
        if index > start:
            sections.append(_Section(start, index, heading))
        level = len(match.group(1))
        title = _CLOSING_HASHES.sub("", match.group(2) or "").strip()
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, title))
        start, heading = index, " > ".join(t for _, t in path if t) or None
    sections.append(_Section(start, len(lines), heading))
    return sections


def _closes(line: str, fence: str) -> bool:
    """A closing fence: the same character, at least as long, nothing after it but spaces."""
    stripped = line.strip()
    return (
        len(line) - len(line.lstrip(" ")) <= 3
        and len(stripped) >= len(fence)
        and stripped == fence[0] * len(stripped)
    )
