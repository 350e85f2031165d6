"""The time a query names ("in May 2023", "on 8 May, 2023", "during 2022"), as a window.

A question about when something happened is answered by what was said or saved at that time,
so search ranks memories inside the window higher (``service.fusion``, ``time_boost``). Only
absolute dates are read: a relative one ("last year") depends on when its speaker said it,
which a query does not tell. A month alone ("in June") is any June; "may" counts as a month
only capitalised and after a preposition, so "you may" is no date. Hand-written rather than
a date-parsing library: those look for a date in any word ("may", "march", "second") and
would turn ordinary queries into time filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_MONTHS: tuple[str, ...] = ("january", "february", "march", "april", "may", "june", "july")
_MONTHS += ("august", "september", "october", "november", "december")
_NUMBER = {name: n for n, name in enumerate(_MONTHS, 1)}
_NUMBER.update({name[:3]: n for n, name in enumerate(_MONTHS, 1)})
_NUMBER["sept"] = 9
# Longest first, so "sept" wins over "sep" and "june" over "jun".
_MONTH = "(" + "|".join(sorted(_NUMBER, key=len, reverse=True)) + r")\.?"
_YEAR = r"((?:19|20)\d\d)"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\b{_YEAR}-(\d\d)-(\d\d)\b"), "ymd"),
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE), "dmy"),
    (re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE), "mdy"),
    (re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE), "my"),
    # A month alone must look like one: capitalised, after a preposition.
    (
        re.compile(
            r"\b(?:in|during|since|until|by|of|early|late|mid)\s+"
            r"(January|February|March|April|May|June|July|August|September|October"
            r"|November|December)\b"
        ),
        "m",
    ),
    (re.compile(rf"\b(?:in|during|of|since|until|by)\s+{_YEAR}\b", re.IGNORECASE), "y"),
)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A year, a month (of one year, or of any when ``year`` is None) or a day."""

    year: int | None = None
    month: int | None = None
    day: int | None = None

    def contains(self, moment: datetime) -> bool:
        return (
            (self.year is None or moment.year == self.year)
            and (self.month is None or moment.month == self.month)
            and (self.day is None or moment.day == self.day)
        )


def query_window(text: str) -> TimeWindow | None:
    """The first absolute date ``text`` names, or None."""
    for pattern, shape in _PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        window = _window(shape, match.groups())
        if window is not None:
            return window
    return None


def _window(shape: str, parts: tuple[str, ...]) -> TimeWindow | None:
    if shape == "ymd":
        year, month, day = (int(p) for p in parts)
    elif shape == "dmy":
        day, month, year = int(parts[0]), _NUMBER[parts[1].lower()], int(parts[2])
    elif shape == "mdy":
        month, day, year = _NUMBER[parts[0].lower()], int(parts[1]), int(parts[2])
    elif shape == "my":
        return TimeWindow(year=int(parts[1]), month=_NUMBER[parts[0].lower()])
    elif shape == "m":
        return TimeWindow(month=_NUMBER[parts[0].lower()])
    else:
        return TimeWindow(year=int(parts[0]))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None  # "2023-13-40" is no date: look on
    return TimeWindow(year=year, month=month, day=day)
