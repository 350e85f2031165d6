"""The dates a query names: absolute ones only, and no date read into ordinary words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memvault.core.time_expressions import TimeWindow, query_window


@pytest.mark.parametrize(
    ("query", "window"),
    [
        ("When did Melanie go camping in June?", TimeWindow(month=6)),
        ("What did Mel paint in July 2023?", TimeWindow(year=2023, month=7)),
        ("What did Gina find on 1 February, 2023?", TimeWindow(2023, 2, 1)),
        ("the talk on October 13, 2023", TimeWindow(2023, 10, 13)),
        ("the 3rd of March 2020 outage", TimeWindow(2020, 3, 3)),
        ("standup notes 2023-05-08", TimeWindow(2023, 5, 8)),
        ("budget for Sept. 2021", TimeWindow(year=2021, month=9)),
        ("releases during 2022", TimeWindow(year=2022)),
    ],
)
def test_an_absolute_date_becomes_its_window(query: str, window: TimeWindow) -> None:
    assert query_window(query) == window


@pytest.mark.parametrize(
    "query",
    [
        "you may deploy on fridays",  # the verb, not the month
        "what happened in may",  # a month alone must be capitalised
        "the march of progress",
        "port 2023 is open",  # a number is no year without a preposition
        "2023-13-40 is not a day",
        "what did we decide last year",  # relative: depends on when it was said
        "",
    ],
)
def test_no_date_is_read_into_ordinary_words(query: str) -> None:
    assert query_window(query) is None


def test_a_window_holds_the_moments_inside_it_only() -> None:
    may_8 = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    assert TimeWindow(2023, 5, 8).contains(may_8)
    assert not TimeWindow(2023, 5, 9).contains(may_8)
    assert TimeWindow(year=2023, month=5).contains(may_8)
    assert TimeWindow(month=5).contains(may_8.replace(year=1999))
    assert not TimeWindow(year=2022).contains(may_8)
