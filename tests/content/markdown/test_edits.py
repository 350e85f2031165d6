from __future__ import annotations

import pytest

from memvault.content.markdown.edits import (
    Section,
    append,
    find_replace,
    prepend,
    replace_section,
    sections,
)
from memvault.core.errors import InvalidInputError, NotFoundError

NOTE = """# Project

Intro.

## Setup

Install it.

### Details

More.

## Usage

Run it.
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("old\n", "old\nnew\n"),
        ("old", "old\nnew\n"),
        ("old\n\n\n", "old\nnew\n"),
        ("", "new\n"),
        ("\n\n", "new\n"),
    ],
)
def test_append_puts_one_line_break_between(body: str, expected: str) -> None:
    assert append(body, "new") == expected


def test_append_trims_the_breaks_around_the_text() -> None:
    assert append("old\n", "\n\nnew\nlines\n\n") == "old\nnew\nlines\n"
    assert append("old\n", "  indented") == "old\n  indented\n"


def test_append_twice_stacks_lines() -> None:
    assert append(append("a", "b"), "c") == "a\nb\nc\n"


@pytest.mark.parametrize("text", ["", "\n", "  \n\n"])
def test_append_and_prepend_refuse_empty_text(text: str) -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        append("body", text)
    with pytest.raises(InvalidInputError, match="empty"):
        prepend("body", text)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("old\n", "new\nold\n"),
        ("old", "new\nold"),
        ("\n\nold\n", "new\nold\n"),
        ("", "new\n"),
    ],
)
def test_prepend_puts_one_line_break_between(body: str, expected: str) -> None:
    assert prepend(body, "new\n\n") == expected


def test_sections_cover_their_subsections() -> None:
    assert sections(NOTE) == [
        Section(1, "Project", 1, 15),
        Section(2, "Setup", 5, 12),
        Section(3, "Details", 9, 12),
        Section(2, "Usage", 13, 15),
    ]


def test_sections_ignore_code_fences_and_non_headings() -> None:
    body = (
        "# Real\n"
        "```bash\n"
        "# a shell comment\n"
        "```\n"
        "~~~~\n"
        "## inside tildes\n"
        "~~~\n"
        "still inside: the closing run is shorter\n"
        "~~~~\n"
        "#hashtag is not a heading\n"
        "####### seven is too many\n"
        "    # indented code\n"
        "## Closing ##\n"
        "## C#\n"
    )
    assert sections(body) == [
        Section(1, "Real", 1, 14),
        Section(2, "Closing", 13, 13),
        Section(2, "C#", 14, 14),
    ]


def test_sections_of_crlf_body_and_empty_body() -> None:
    assert sections("# A\r\ntext\r\n## B\r\n") == [Section(1, "A", 1, 3), Section(2, "B", 3, 3)]
    assert sections("") == []


def test_replace_section_keeps_heading_and_spacing() -> None:
    result = replace_section(NOTE, "Usage", "Call `run()`.")
    assert result == NOTE.replace("Run it.", "Call `run()`.")


def test_replace_section_replaces_subsections_up_to_same_level() -> None:
    result = replace_section(NOTE, "setup", "Just pip install.\n\n\n")
    assert result == (
        "# Project\n\nIntro.\n\n## Setup\n\nJust pip install.\n\n## Usage\n\nRun it.\n"
    )


def test_replace_section_matches_level_when_given() -> None:
    body = "# Notes\n## Notes\nold\n"
    assert replace_section(body, "## notes ##", "new") == "# Notes\n## Notes\nnew\n"
    with pytest.raises(InvalidInputError, match="2 sections match 'Notes'"):
        replace_section(body, "Notes", "new")
    with pytest.raises(NotFoundError):
        replace_section(body, "### Notes", "new")


def test_replace_section_with_empty_content_leaves_the_heading() -> None:
    assert replace_section(NOTE, "Setup", "") == (
        "# Project\n\nIntro.\n\n## Setup\n\n## Usage\n\nRun it.\n"
    )


def test_replace_section_of_heading_without_content_or_final_break() -> None:
    assert replace_section("## A\n## B\n", "A", "x") == "## A\nx\n## B\n"
    assert replace_section("## A\n\n## B\n", "A", "x") == "## A\nx\n\n## B\n"
    assert replace_section("text\n## Last", "last", "x\ny") == "text\n## Last\nx\ny\n"


def test_replace_section_ignores_headings_in_code() -> None:
    body = "## Script\n```\n## Script\n```\n## Other\n"
    assert replace_section(body, "Script", "none") == "## Script\nnone\n## Other\n"


def test_missing_section_lists_the_sections() -> None:
    with pytest.raises(NotFoundError) as caught:
        replace_section(NOTE, "Deploy", "x")
    assert str(caught.value) == (
        "no section 'Deploy' in the note; its sections are: Project, Setup, Details, Usage"
    )
    with pytest.raises(NotFoundError, match="no headings"):
        replace_section("plain text\n", "Deploy", "x")


def test_empty_heading_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        replace_section(NOTE, "  ## ", "x")


def test_find_replace_exactly_once_by_default() -> None:
    assert find_replace("port 8080\n", "8080", "9090") == "port 9090\n"
    with pytest.raises(InvalidInputError) as caught:
        find_replace("a a", "a", "b")
    assert str(caught.value) == "expected 1 occurrence(s) of 'a', found 2; nothing changed"


def test_find_replace_with_expected_count_and_all() -> None:
    assert find_replace("a a a", "a", "b", expected=3) == "b b b"
    assert find_replace("a a a", "a", "b", expected=None) == "b b b"
    with pytest.raises(InvalidInputError, match="found 0"):
        find_replace("xyz", "a", "b")
    with pytest.raises(InvalidInputError, match="no occurrence"):
        find_replace("xyz", "a", "b", expected=None)


def test_find_replace_is_literal_and_case_sensitive() -> None:
    assert find_replace("a.c abc", "a.c", "X") == "X abc"
    with pytest.raises(InvalidInputError):
        find_replace("Port", "port", "x")


@pytest.mark.parametrize("expected", [0, -1])
def test_find_replace_refuses_empty_find_and_bad_counts(expected: int) -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        find_replace("abc", "", "x")
    with pytest.raises(InvalidInputError, match="1 or more"):
        find_replace("abc", "a", "x", expected=expected)
