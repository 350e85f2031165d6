"""Fenced code blocks: the lines where Markdown syntax does not count.

A ``# comment`` in a shell snippet is not a heading and ``[[x]]`` in a code sample is not a link;
treating them as such would cut a section in two or invent a link the note never made. Both the
section edits and the link scanner ask this module which lines are code.

The rules are CommonMark's (a run of at least three backticks or tildes opens a block, a run of
the same character at least as long closes it, an unclosed block runs to the end), with one
leniency: a fence may sit at any indentation or behind ``>`` quote markers, because notes nest
code inside list items and quotes far more often than they show a literal fence in indented code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_OPEN = re.compile(r"[ \t]*(?:>[ \t]*)*(`{3,}|~{3,})(.*)")
_CLOSE = re.compile(r"[ \t]*(?:>[ \t]*)*(`{3,}|~{3,})[ \t]*")


def fenced_lines(lines: Sequence[str]) -> list[bool]:
    """For each line (with or without its line break), whether it is part of a fenced block.

    The fence lines themselves count as part of the block.
    """
    inside: list[bool] = []
    fence = ""  # the run that opened the current block; "" outside any block
    for raw in lines:
        line = raw.rstrip("\r\n")
        if fence:
            inside.append(True)
            closing = _CLOSE.fullmatch(line)
            if closing and closing[1][0] == fence[0] and len(closing[1]) >= len(fence):
                fence = ""
            continue
        opening = _OPEN.fullmatch(line)
        # A backtick fence's info string may not hold backticks: ```a``` is inline code.
        if opening and not (opening[1][0] == "`" and "`" in opening[2]):
            fence = opening[1]
        inside.append(bool(fence))
    return inside
