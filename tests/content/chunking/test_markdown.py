from __future__ import annotations

from itertools import pairwise

from memvault.content.chunking import ChunkLimits
from memvault.content.chunking.markdown import chunk_markdown
from tests.content.chunking.exact import assert_exact

GUIDE = """\
Intro before any heading.

# Guide

Welcome.

## Install

Run the installer.

### Linux

```sh
# not a heading: a shell comment
apt install thing
```

~~~
# neither is this
~~~

### macOS ###

brew install thing

## Use

Just use it.
# Appendix
    # indented four spaces: code, not a heading
#hashtag is not a heading either
"""


def spans(text: str) -> list[tuple[str | None, int, int]]:
    return [(c.heading, c.line_start, c.line_end) for c in chunk_markdown(text)]


def test_one_chunk_per_section_with_heading_paths() -> None:
    chunks = chunk_markdown(GUIDE)
    assert_exact(chunks, GUIDE)
    assert [(c.heading, c.line_start, c.line_end) for c in chunks] == [
        (None, 1, 1),
        ("Guide", 3, 5),
        ("Guide > Install", 7, 9),
        ("Guide > Install > Linux", 11, 20),
        ("Guide > Install > macOS", 22, 24),
        ("Guide > Use", 26, 28),
        ("Appendix", 29, 31),
    ]


def test_a_section_includes_its_heading_line() -> None:
    chunks = chunk_markdown(GUIDE)
    assert chunks[2].text == "## Install\n\nRun the installer."


def test_fenced_hash_lines_are_not_headings() -> None:
    linux = chunk_markdown(GUIDE)[3]
    assert "# not a heading: a shell comment" in linux.text
    assert "# neither is this" in linux.text


def test_an_unclosed_fence_runs_to_the_end() -> None:
    text = "# A\n```\n# inside\n"
    assert spans(text) == [("A", 1, 3)]


def test_a_longer_closing_fence_closes_and_a_shorter_one_does_not() -> None:
    text = "````\n```\n# still code\n`````\n# B\nb"
    assert spans(text) == [(None, 1, 4), ("B", 5, 6)]


def test_inline_backticks_do_not_open_a_fence() -> None:
    text = "```not a fence```\n# A\na"
    assert spans(text) == [(None, 1, 1), ("A", 2, 3)]


def test_whitespace_only_sections_are_dropped() -> None:
    text = "\n   \n# A\n\n# B\nb\n\n"
    # "# A" alone is still a chunk: the heading is content.
    assert spans(text) == [("A", 3, 3), ("B", 5, 6)]


def test_first_line_offsets_all_numbers() -> None:
    body = "# Title\n\nText."
    [chunk] = chunk_markdown(body, first_line=5)
    assert (chunk.line_start, chunk.line_end) == (5, 7)


def test_a_heading_level_pops_back_up() -> None:
    text = "# A\n### C\n## B\nb"
    assert [h for h, _, _ in spans(text)] == ["A", "A > C", "A > B"]


def test_closing_hashes_are_not_part_of_the_title() -> None:
    assert spans("## C# ##\nx") == [("C#", 1, 2)]


def test_long_sections_are_split_with_overlap_and_keep_the_heading() -> None:
    paragraph = "\n".join(f"Sentence {n} of a rather long paragraph." for n in range(6))
    text = "# Big\n\n" + "\n\n".join([paragraph] * 8) + "\n# Small\nsmall"
    limits = ChunkLimits(max_chars=400, overlap_chars=120)
    chunks = chunk_markdown(text, limits)
    assert_exact(chunks, text, limits)
    big = [c for c in chunks if c.heading == "Big"]
    assert len(big) >= 4
    assert big[0].text.startswith("# Big")
    for before, after in pairwise(big):
        assert after.line_start <= before.line_end  # the overlap
        shared = "\n".join(text.split("\n")[after.line_start - 1 : before.line_end])
        assert 0 < len(shared) <= limits.overlap_chars
    assert chunks[-1].heading == "Small"
