from __future__ import annotations

from itertools import pairwise

from memvault.content.chunking import Chunk, ChunkLimits
from memvault.content.chunking.lines import cut, grouped, paragraphs, split_lines
from tests.content.chunking.exact import assert_exact


def numbered(count: int, width: int = 30) -> str:
    return "\n".join(f"line {n:03d} ".ljust(width, "x") for n in range(1, count + 1))


def test_split_lines_counts_like_an_editor() -> None:
    assert split_lines("a\r\nb\n\x0cc\u2028d\n") == ["a", "b", "\x0cc\u2028d", ""]


def test_a_section_that_fits_is_one_chunk_without_blank_edges() -> None:
    text = "\n\n  \nfirst\n\nsecond\n\n"
    lines = split_lines(text)
    [chunk] = cut(lines, 0, len(lines), ChunkLimits(), first_line=1, heading="H", page=2)
    assert chunk == Chunk("first\n\nsecond", 4, 6, "H", 2)


def test_first_line_offsets_numbers() -> None:
    lines = split_lines("a\nb")
    [chunk] = cut(lines, 1, 2, ChunkLimits(), first_line=10)
    assert (chunk.text, chunk.line_start, chunk.line_end) == ("b", 11, 11)


def test_long_sections_are_cut_with_overlap_of_whole_lines() -> None:
    text = numbered(100)
    limits = ChunkLimits(max_chars=300, overlap_chars=70)
    chunks = cut(split_lines(text), 0, 100, limits, heading="H")
    assert len(chunks) > 5
    assert_exact(chunks, text, limits)
    assert {c.heading for c in chunks} == {"H"}
    assert chunks[0].line_start == 1
    assert chunks[-1].line_end == 100
    for before, after in pairwise(chunks):
        shared = before.line_end - after.line_start + 1
        assert shared == 2  # two 30-char lines joined are 61 chars: within 70, three are not
        overlap = source_lines_of(text, after.line_start, before.line_end)
        assert before.text.endswith(overlap)
        assert after.text.startswith(overlap)
        assert len(overlap) <= limits.overlap_chars


def source_lines_of(text: str, first: int, last: int) -> str:
    return "\n".join(text.split("\n")[first - 1 : last])


def test_no_overlap_means_consecutive_pieces() -> None:
    text = numbered(40)
    chunks = cut(split_lines(text), 0, 40, ChunkLimits(max_chars=100, overlap_chars=0))
    assert_exact(chunks, text)
    for before, after in pairwise(chunks):
        assert after.line_start == before.line_end + 1


def test_cuts_prefer_a_blank_line() -> None:
    # Three paragraphs of four lines; the limit fits one and a half paragraphs.
    paragraph = "\n".join(["a" * 20] * 4)
    text = "\n\n".join([paragraph] * 3)
    chunks = cut(split_lines(text), 0, 14, ChunkLimits(max_chars=130, overlap_chars=0))
    assert [(c.line_start, c.line_end) for c in chunks] == [(1, 4), (6, 9), (11, 14)]


def test_a_single_overlong_line_is_sliced_at_spaces() -> None:
    line = " ".join(f"word{n:02d}" for n in range(60))  # 419 chars
    text = f"short\n{line}\nafter"
    limits = ChunkLimits(max_chars=100, overlap_chars=20)
    chunks = cut(split_lines(text), 0, 3, limits)
    sliced = [c for c in chunks if c.line_start == c.line_end == 2]
    assert "".join(c.text for c in sliced) == line
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(c.text.endswith(" ") for c in sliced[:-1])  # words stay whole
    assert chunks[0].text == "short"
    assert chunks[-1].text == "after"


def test_paragraphs() -> None:
    lines = split_lines("a\nb\n\n \nc\n\nd")
    assert paragraphs(lines, 0, len(lines)) == [(0, 2), (4, 5), (6, 7)]
    assert paragraphs(lines, 4, len(lines)) == [(4, 5), (6, 7)]


def test_grouped_merges_small_paragraphs_and_cuts_big_ones() -> None:
    big = "\n".join(["b" * 40] * 10)
    text = "one\n\ntwo\n\nthree\n\n" + big + "\n\nfour\n"
    limits = ChunkLimits(max_chars=120, overlap_chars=41)
    chunks = grouped(split_lines(text), 0, len(split_lines(text)), limits)
    assert_exact(chunks, text, limits)
    assert chunks[0].text == "one\n\ntwo\n\nthree"
    assert chunks[-1].text == "four"
    middle = chunks[1:-1]
    assert len(middle) > 3
    assert all(set(c.text) <= {"b", "\n"} for c in middle)
