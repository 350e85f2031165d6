from __future__ import annotations

from memvault.content.markdown.fences import fenced_lines


def flags(text: str) -> list[int]:
    return [int(inside) for inside in fenced_lines(text.split("\n"))]


def test_backtick_and_tilde_blocks_include_their_fence_lines() -> None:
    assert flags("a\n```py\ncode\n```\nb\n~~~\ncode\n~~~\nc") == [0, 1, 1, 1, 0, 1, 1, 1, 0]


def test_a_block_closes_only_with_the_same_character_at_least_as_long() -> None:
    assert flags("````\n```\n~~~~\n`````\nafter") == [1, 1, 1, 1, 0]


def test_closing_fence_takes_no_info_string() -> None:
    assert flags("```\n```python\n```\nafter") == [1, 1, 1, 0]


def test_unclosed_block_runs_to_the_end() -> None:
    assert flags("text\n```\n# not a heading\n[[not a link]]") == [0, 1, 1, 1]


def test_inline_triple_backticks_do_not_open_a_block() -> None:
    assert flags("```inline``` code\n# heading") == [0, 0]


def test_fences_in_lists_quotes_and_crlf_lines() -> None:
    assert fenced_lines(["- item\r\n", "    ```\r\n", "    code\r\n", "    ```\r\n", "x"]) == [
        False,
        True,
        True,
        True,
        False,
    ]
    assert flags("> ```\n> code\n> ```\nafter") == [1, 1, 1, 0]


def test_two_backticks_are_not_a_fence() -> None:
    assert flags("``\ncode\n``") == [0, 0, 0]
