"""Edits an agent makes to the body of a note: append, prepend, replace a section, find/replace.

The note belongs to a person as much as to the agent, so each edit changes only what it names and
leaves every other byte alone. An edit that cannot be done exactly as asked (a section that is
missing or ambiguous, a find string that occurs another number of times than expected) changes
nothing and says why, instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from memvault.content.markdown.fences import fenced_lines
from memvault.core.errors import InvalidInputError, NotFoundError

# ATX headings only: a setext underline ("---") is indistinguishable from a rule in notes.
_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_LEADING_BREAKS = re.compile(r"\A(?:[ \t]*\r?\n)+")
_TRAILING_BREAKS = re.compile(r"(?:\r?\n[ \t]*)+\Z")


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and what belongs to it, as 1-based inclusive lines of the body."""

    level: int  # 1 for "#", up to 6
    title: str  # the heading text without the "#"s
    line_start: int  # the heading line
    line_end: int  # the line before the next heading of the same or a higher level, or the last


def append(body: str, text: str) -> str:
    """``body`` with ``text`` added as new last line(s): one line break between, one at the end."""
    addition = _trim(text, "append")
    head = _TRAILING_BREAKS.sub("", body)
    return f"{head}\n{addition}\n" if head else f"{addition}\n"


def prepend(body: str, text: str) -> str:
    """``body`` with ``text`` as new first line(s), one line break between; the end is kept."""
    addition = _trim(text, "prepend")
    rest = _LEADING_BREAKS.sub("", body)
    return f"{addition}\n{rest}"


def sections(body: str) -> list[Section]:
    """Every heading of ``body`` outside fenced code, in order, with the lines it covers."""
    lines = _split(body)
    code = fenced_lines(lines)
    headings: list[tuple[int, int, str]] = []  # (0-based line, level, title)
    for index, line in enumerate(lines):
        match = None if code[index] else _HEADING.fullmatch(line.rstrip("\r\n"))
        if match:
            headings.append((index, len(match[1]), _title(match[2] or "")))
    ends = [len(lines)] * len(headings)
    waiting: list[int] = []  # headings whose section is still open, levels rising
    for position, (index, level, _) in enumerate(headings):
        while waiting and headings[waiting[-1]][1] >= level:
            ends[waiting.pop()] = index  # 0-based heading line == 1-based line before it
        waiting.append(position)
    return [
        Section(level, title, index + 1, end)
        for (index, level, title), end in zip(headings, ends, strict=True)
    ]


def replace_section(body: str, heading: str, content: str) -> str:
    """Replace what is under ``heading`` (the heading line stays) with ``content``.

    ``heading`` is the heading's text ("Setup") or, to also match the level, the heading as
    written ("## Setup"); case and closing "#"s do not matter. The section runs to the next
    heading of the same or a higher level, so its subsections are replaced too. The blank lines
    around the old content stay, so the note keeps its spacing.
    """
    level, wanted = _heading_ref(heading)
    if not wanted:
        raise InvalidInputError("the heading of the section to replace is empty")
    found = sections(body)
    matches = [
        s for s in found if _key(s.title) == _key(wanted) and (level is None or s.level == level)
    ]
    shown = heading.strip()
    if not matches:
        if not found:
            raise NotFoundError(f"no section {shown!r} in the note; it has no headings")
        titles = ", ".join(s.title for s in found)
        raise NotFoundError(f"no section {shown!r} in the note; its sections are: {titles}")
    if len(matches) > 1:
        where = ", ".join(str(s.line_start) for s in matches)
        hint = ""
        if level is None and len({s.level for s in matches}) > 1:
            hint = f" or give its level (e.g. '{'#' * matches[0].level} {wanted}')"
        raise InvalidInputError(
            f"{len(matches)} sections match {shown!r} (lines {where}); "
            f"make the headings unique{hint}, or use find/replace"
        )
    section = matches[0]
    lines = _split(body)
    heading_line = lines[section.line_start - 1]
    if not heading_line.endswith("\n"):  # the heading was the last line, without a break
        heading_line += "\n"
    old = lines[section.line_start : section.line_end]
    filled = [i for i, line in enumerate(old) if line.strip()]
    before, after = (old[: filled[0]], old[filled[-1] + 1 :]) if filled else ([], old)
    new = _LEADING_BREAKS.sub("", _TRAILING_BREAKS.sub("", content))
    middle = [f"{new}\n"] if new else []
    if not new:
        before = []  # no content: only the spacing before the next heading stays
    replaced = [heading_line, *before, *middle, *after]
    return "".join(lines[: section.line_start - 1] + replaced + lines[section.line_end :])


def find_replace(body: str, find: str, replace: str, *, expected: int | None = 1) -> str:
    """Replace ``find`` (literal text) by ``replace``, if it occurs exactly ``expected`` times.

    ``expected=None`` replaces every occurrence, of which there must be at least one. The count
    guards against an edit landing somewhere the caller did not look.
    """
    if not find:
        raise InvalidInputError("the text to find is empty")
    if expected is not None and expected < 1:
        raise InvalidInputError(
            f"expected must be 1 or more (or None for every occurrence), not {expected}"
        )
    found = body.count(find)
    if found == 0 and expected is None:
        raise InvalidInputError(f"no occurrence of {find!r} in the note; nothing changed")
    if expected is not None and found != expected:
        raise InvalidInputError(
            f"expected {expected} occurrence(s) of {find!r}, found {found}; nothing changed"
        )
    return body.replace(find, replace)


def _split(body: str) -> list[str]:
    """Lines with their breaks (only "\\n" breaks a line, as in the rest of memvault)."""
    parts = body.split("\n")
    lines = [f"{part}\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _title(raw: str) -> str:
    # "## Setup ##" is titled "Setup", but "## C#" keeps its "#": a closing run needs a space.
    return _CLOSING_HASHES.sub("", raw.strip()).strip()


def _heading_ref(heading: str) -> tuple[int | None, str]:
    match = _HEADING.fullmatch(heading.strip())
    if match:
        return len(match[1]), _title(match[2] or "")
    return None, _title(heading)


def _key(title: str) -> str:
    return " ".join(title.split()).casefold()


def _trim(text: str, verb: str) -> str:
    trimmed = _LEADING_BREAKS.sub("", _TRAILING_BREAKS.sub("", text))
    if not trimmed.strip():
        raise InvalidInputError(f"nothing to {verb}: the text is empty")
    return trimmed
