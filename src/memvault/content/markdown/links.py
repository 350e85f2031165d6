"""Wiki links (``[[Note]]``) between notes, and the key that matches a link to a note.

People link notes the way Obsidian lets them: by name or path, with or without ``.md``, in any
case, with a heading or an alias. Reading links and keying notes the same loose way lets memvault
follow every link a person made, and only those: a link shown as code in a note is an example,
not a link.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from memvault.content.markdown.fences import fenced_lines

_LINK = re.compile(r"!?\[\[([^\[\]]*)\]\]")
_BACKTICKS = re.compile(r"`+")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class WikiLink:
    """One ``[[target#heading|alias]]`` (or ``![[embed]]``) as written in a note."""

    target: str  # as written, without |alias or #heading, stripped
    line: int  # 1-based line within the text given
    heading: str | None
    alias: str | None


def wiki_links(text: str) -> list[WikiLink]:
    """The wiki links of ``text`` in document order, leaving out those in code and empty ones.

    ``[[#Heading]]`` points into the same note, so it has no target and is left out too.
    """
    lines = text.split("\n")
    code = fenced_lines(lines)
    found: list[WikiLink] = []
    for number, (line, in_code) in enumerate(zip(lines, code, strict=True), start=1):
        if in_code or "[[" not in line:
            continue
        for segment in _outside_code_spans(line):
            for match in _LINK.finditer(segment):
                link = _read(match[1], number)
                if link is not None:
                    found.append(link)
    return found


def link_key(text: str) -> str:
    """The key under which a link target and a note path meet: ``Notes/My Note.md`` and
    ``./notes/my  note`` both give ``notes/my note``.
    """
    key = text.strip().replace("\\", "/")
    while key.startswith(("./", "/")):
        key = key.removeprefix(".").lstrip("/")
    if key.casefold().endswith(".md"):
        key = key[:-3]
    # macOS file names come decomposed (NFD) while typed links are composed (NFC).
    key = unicodedata.normalize("NFC", key)
    return _WHITESPACE.sub(" ", key).strip().casefold()


def _read(inner: str, line: int) -> WikiLink | None:
    target, _, alias = inner.partition("|")
    # Inside a table the pipe is escaped ("[[Note\|Alias]]"); the backslash is not the name's.
    target = target.removesuffix("\\")
    target, _, heading = target.partition("#")
    target = target.strip()
    if not target:
        return None
    return WikiLink(target, line, heading.strip() or None, alias.strip() or None)


def _outside_code_spans(line: str) -> list[str]:
    """The parts of ``line`` outside `inline code` (a backtick run closed by one as long)."""
    runs = list(_BACKTICKS.finditer(line))
    segments: list[str] = []
    start = 0
    index = 0
    while index < len(runs):
        opening = runs[index]
        closing = next(
            (j for j in range(index + 1, len(runs)) if len(runs[j][0]) == len(opening[0])),
            None,
        )
        if closing is None:  # an unmatched run is literal backticks
            index += 1
            continue
        segments.append(line[start : opening.start()])
        start = runs[closing].end()
        index = closing + 1
    segments.append(line[start:])
    return segments
