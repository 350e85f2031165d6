"""Prose too long for one chunk, cut between sentences, with whole sentences as the overlap.

Cutting prose on line ends (as code is cut) fails on the way notes are written: a paragraph is
often one long line, and slicing it by size left pieces like a heading on its own or a two-word
tail, which carry no meaning but still match a query's words and float to the top of vector
results. Here a section is read as a stream of units (paragraphs, then sentences and list
items): a piece is filled with whole units, ends at the strongest boundary that keeps it at
least half full (a paragraph break over a sentence end over a line end), and the next piece
starts with the last whole sentences of the one before (up to ``overlap_chars``). A heading is
never a piece of its own: it stays with what follows it. Only a sentence too long to fit is
cut further, by line and then by word, so every piece holds real text.

A piece is the file's text from its first character to its last, so it may start or end inside
a line; its line range is the lines it touches.

The sentence rule is a careful regular expression rather than a model or a language library:
an end mark (``.``, ``!``, ``?``, ``…``, with closing quotes or brackets) followed by space and
something that is not lower case; common abbreviations, initials, dotted words (``e.g.``,
``U.S.``) and list numbers do not end a sentence.
"""

from __future__ import annotations

import bisect
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import accumulate

from memvault.content.chunking.chunks import Chunk, ChunkLimits

# How strong the boundary after a unit is: a cut prefers the strongest.
PARAGRAPH, SENTENCE, LINE, WORD = 3, 2, 1, 0

_CLOSERS = "\"'\u201d\u2019)\\]"  # closing quotes and brackets after an end mark
_SENTENCE_END = re.compile(rf"[.!?\u2026]+[{_CLOSERS}]*(?=\s+[^\s])")
_NEXT_WORD = re.compile(r"\s+(\S)")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+>|]\s|\d{1,3}[.)]\s)")
_WORD = re.compile(r"\S+")
_LINE_END = re.compile(r"(:?)[ \t]*\n")
_INDENT = re.compile(r"[ \t]*")
_ABBREVIATIONS = frozenset(
    {"al", "approx", "ca", "cf", "co", "dept", "dr", "eq", "eqs", "etc", "fig", "figs", "inc"}
    | {"jr", "ltd", "mr", "mrs", "ms", "no", "nos", "prof", "pp", "sr", "st", "vol", "vs"}
)


@dataclass(frozen=True, slots=True)
class _Unit:
    start: int  # offsets into the section's text; the text between units is whitespace
    end: int
    after: int  # the boundary after it: PARAGRAPH, SENTENCE, LINE or WORD
    lead: bool = False  # a heading: never the last unit of a piece
    repeated: bool = False  # overlap carried over from the piece before


def cut_prose(
    lines: Sequence[str],
    start: int,
    end: int,
    limits: ChunkLimits,
    *,
    first_line: int = 1,
    heading: str | None = None,
    page: int | None = None,
    lead: bool = False,
) -> list[Chunk]:
    """Chunks for ``lines[start:end]`` (``lines[0]`` is file line ``first_line``); ``lead``:
    its first line is a heading, kept with the text after it."""
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    if start >= end:
        return []
    text = "\n".join(lines[start:end])
    line_starts = list(accumulate((len(line) + 1 for line in lines[start : end - 1]), initial=0))

    def chunk(s: int, e: int) -> Chunk:
        return Chunk(
            text[s:e],
            first_line + start + _line_index(line_starts, s),
            first_line + start + _line_index(line_starts, e - 1),
            heading,
            page,
        )

    if len(text) <= limits.max_chars:
        return [chunk(0, len(text))]
    units = _units(text, lead=lead, limit=limits.max_chars)
    return [chunk(s, e) for s, e in _pack(text, units, limits)]


def _pack(text: str, units: list[_Unit], limits: ChunkLimits) -> list[tuple[int, int]]:
    """Fill pieces with whole units; split a unit only when nothing else can make a piece."""
    limit = limits.max_chars
    queue = deque(units)
    piece: list[_Unit] = []
    pieces: list[tuple[int, int]] = []
    while queue:
        unit = queue.popleft()
        if _size([*piece, unit]) <= limit:
            piece.append(unit)
            continue
        own = [u for u in piece if not u.repeated]
        room = limit - (unit.start - piece[0].start) if piece else limit
        if own and ((not own[-1].lead and _size(own) >= limit // 2) or room < max(1, limit // 4)):
            cut = _best_cut(own, limit)
            pieces.append((piece[0].start, own[cut].end))
            queue.extendleft(reversed([*own[cut + 1 :], unit]))
            piece = _overlap(own[: cut + 1], limits.overlap_chars)
        elif piece and piece[0].repeated:
            piece = piece[1:]  # less overlap rather than a piece that cannot hold the text
            queue.appendleft(unit)
        else:  # nothing here can make a piece yet: cut the unit finer to fill the room
            queue.extendleft(reversed(_finer(text, unit, room)))
    if any(not u.repeated for u in piece):
        pieces.append((piece[0].start, piece[-1].end))
    return pieces


def _size(units: Sequence[_Unit]) -> int:
    return units[-1].end - units[0].start if units else 0


def _best_cut(units: list[_Unit], limit: int) -> int:
    """The index of the last unit of the piece: the strongest boundary that keeps it at least
    half full, the latest among equals."""
    best = len(units) - 1
    for index in range(len(units) - 1, -1, -1):
        if _size(units[: index + 1]) < limit // 2:
            break
        if not units[index].lead and units[index].after > units[best].after:
            best = index
    return best


def _overlap(units: list[_Unit], overlap_chars: int) -> list[_Unit]:
    """The last whole units of a piece, up to ``overlap_chars``, to start the next one with."""
    taken: list[_Unit] = []
    for unit in reversed(units[1:]):  # never the whole piece: the next one must move on
        if unit.lead or _size([unit, *taken]) > overlap_chars:
            break
        taken.insert(0, replace(unit, repeated=True))
    return taken


def _finer(text: str, unit: _Unit, room: int) -> list[_Unit]:
    """A unit too big for the room left: its lines, else its words, else slices of a word."""
    part = text[unit.start : unit.end]
    if "\n" in part:
        found = [
            _Unit(unit.start + m.start(), unit.start + m.end(), LINE)
            for m in re.finditer(r"[^\n]*\S[^\n]*", part)
        ]
        found = [_trimmed(text, u) for u in found]
    else:
        found = [
            _Unit(unit.start + m.start(), unit.start + m.end(), WORD) for m in _WORD.finditer(part)
        ]
        if len(found) == 1:
            step = max(1, room)
            found = [
                _Unit(s, min(s + step, unit.end), WORD) for s in range(unit.start, unit.end, step)
            ]
    found[-1] = replace(found[-1], after=unit.after)
    if unit.lead:
        found = [replace(u, lead=True) for u in found]
    return found


def _trimmed(text: str, unit: _Unit) -> _Unit:
    start, end = unit.start, unit.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return replace(unit, start=start, end=end)


# --- units ------------------------------------------------------------------------------------
def _units(text: str, *, lead: bool, limit: int) -> list[_Unit]:
    """Paragraphs cut into sentences and list items; a leading heading line is its own unit
    (kept with what follows, unless it is too long to leave room for it)."""
    units: list[_Unit] = []
    for paragraph_start, p_end in _paragraphs(text):
        p_start = paragraph_start
        if lead and not units:
            newline = text.find("\n", p_start, p_end)
            heading_end = p_end if newline == -1 else newline
            short = heading_end - p_start < limit // 4
            after = PARAGRAPH if newline == -1 else LINE
            units.append(_Unit(p_start, heading_end, after, short))
            if newline == -1:
                continue
            p_start = newline + 1
            while p_start < p_end and text[p_start].isspace():
                p_start += 1
        bounds = _sentence_bounds(text, p_start, p_end)
        for s, e in zip([p_start, *bounds], [*bounds, p_end], strict=True):
            units.append(_trimmed(text, _Unit(s, e, SENTENCE)))
        units[-1] = replace(units[-1], after=PARAGRAPH)
    return [u for u in units if u.end > u.start]


def _paragraphs(text: str) -> list[tuple[int, int]]:
    found = []
    for match in re.finditer(r"(?:[^\n]*\S[^\n]*(?:\n|$))+", text):
        s, e = match.start(), match.end()
        while e > s and text[e - 1].isspace():
            e -= 1
        found.append((s, e))
    return found


def _sentence_bounds(text: str, start: int, end: int) -> list[int]:
    """Offsets inside ``text[start:end]`` where a new sentence or list item begins."""
    found: set[int] = set()
    part = text[start:end]
    for match in _SENTENCE_END.finditer(part):
        nxt = _NEXT_WORD.match(part, match.end())
        if nxt is None or nxt.group(1).islower() or _abbreviation(part, match.start()):
            continue
        found.add(start + nxt.start(1))
    for line_end in _LINE_END.finditer(part):  # a list item, or the line after a colon
        if line_end.group(1) or _LIST_ITEM.match(part, line_end.end()):
            found.add(start + _INDENT.match(part, line_end.end()).end())  # type: ignore[union-attr]
    return sorted(b for b in found if start < b < end)


def _abbreviation(part: str, mark: int) -> bool:
    """Whether the word before an end mark is an abbreviation, an initial, a dotted word or a
    list number at the start of a line."""
    if part[mark] != ".":
        return False
    word_start = mark
    while word_start > 0 and not part[word_start - 1].isspace():
        word_start -= 1
    word = part[word_start:mark].lstrip("([\"'")
    if not word:
        return False
    at_line_start = word_start == 0 or part[word_start - 1] == "\n"
    return (
        word.lower() in _ABBREVIATIONS
        or (len(word) == 1 and word.isalpha())
        or "." in word
        or (word.isdigit() and at_line_start)
    )


def _line_index(line_starts: list[int], offset: int) -> int:
    """The index of the line holding ``offset`` (``line_starts``: each line's first offset)."""
    return max(bisect.bisect_right(line_starts, offset) - 1, 0)
