from __future__ import annotations

import pytest

from memvault.content.markdown.links import WikiLink, link_key, wiki_links


def test_every_link_form() -> None:
    text = (
        "See [[Plan]] and [[Plan|the plan]].\n"
        "Jump to [[Plan#Risks]] or [[Plan#Risks|risks]].\n"
        "![[diagram.png]] and ![[Plan#Goals]]\n"
    )
    assert wiki_links(text) == [
        WikiLink("Plan", 1, None, None),
        WikiLink("Plan", 1, None, "the plan"),
        WikiLink("Plan", 2, "Risks", None),
        WikiLink("Plan", 2, "Risks", "risks"),
        WikiLink("diagram.png", 3, None, None),
        WikiLink("Plan", 3, "Goals", None),
    ]


def test_parts_are_stripped_and_empty_parts_are_none() -> None:
    assert wiki_links("[[  folder/My Note.md  # Heading |  alias ]] [[Note#|]]") == [
        WikiLink("folder/My Note.md", 1, "Heading", "alias"),
        WikiLink("Note", 1, None, None),
    ]


@pytest.mark.parametrize("text", ["[[]]", "[[   ]]", "[[#Heading]]", "[[|alias]]", "[[ # x | y ]]"])
def test_empty_targets_are_ignored(text: str) -> None:
    assert wiki_links(text) == []


def test_links_in_code_are_ignored() -> None:
    text = (
        "Use `[[inline]]` or ``[[double `tick`]]`` but [[Real]].\n"
        "```\n"
        "[[fenced]]\n"
        "```\n"
        "~~~md\n"
        "[[tilde fenced]]\n"
        "~~~\n"
        "Unmatched ` backtick [[Kept]]\n"
    )
    assert [(link.target, link.line) for link in wiki_links(text)] == [("Real", 1), ("Kept", 8)]


def test_lines_count_from_one_and_crlf_does_not_shift_them() -> None:
    text = "a\r\n\r\n[[One]]\r\nb [[Two]]\r\n"
    assert [(link.target, link.line) for link in wiki_links(text)] == [("One", 3), ("Two", 4)]


def test_escaped_pipe_in_tables() -> None:
    assert wiki_links("| [[Note\\|Alias]] |") == [WikiLink("Note", 1, None, "Alias")]


def test_not_links() -> None:
    assert wiki_links("[single] [[unclosed and [[a\nb]] [[x]y]]") == []


def test_document_order_with_several_links_per_line() -> None:
    text = "[[b]] [[a]]\n[[c]]"
    assert [link.target for link in wiki_links(text)] == ["b", "a", "c"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Plan", "plan"),
        ("  Plan.md ", "plan"),
        ("Plan.MD", "plan"),
        ("folder\\Sub\\Note", "folder/sub/note"),
        ("./notes/My   Note.md", "notes/my note"),
        ("/notes/x", "notes/x"),
        (".//./a", "a"),
        ("Straße", "strasse"),
        ("Cafe\u0301", "café"),
        ("notes.md.md", "notes.md"),
        ("readme.markdown", "readme.markdown"),
    ],
)
def test_link_key(text: str, key: str) -> None:
    assert link_key(text) == key


def test_link_and_path_meet_at_the_same_key() -> None:
    (link,) = wiki_links("[[Projects/Road Map|map]]")
    assert link_key(link.target) == link_key("projects/road map.md")
