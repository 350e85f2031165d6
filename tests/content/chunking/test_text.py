from __future__ import annotations

from itertools import pairwise

from memvault.content.chunking import ChunkLimits
from memvault.content.chunking.text import chunk_text
from tests.content.chunking.exact import assert_exact


def test_small_paragraphs_are_merged_up_to_the_limit() -> None:
    text = "\n\n".join(f"Entry {n}: something short." for n in range(10)) + "\n"
    limits = ChunkLimits(max_chars=100, overlap_chars=20)
    chunks = chunk_text(text, limits)
    assert_exact(chunks, text, limits)
    assert len(chunks) == 4  # 27-29 chars each: three fit in 100 with the blank lines
    assert [c.line_start for c in chunks] == [1, 7, 13, 19]
    assert all(c.heading is None and c.page is None for c in chunks)


def test_a_big_paragraph_is_cut_with_overlap() -> None:
    big = "\n".join(f"line {n} of the one long paragraph" for n in range(40))
    text = f"Before.\n\n{big}\n\nAfter."
    limits = ChunkLimits(max_chars=300, overlap_chars=80)
    chunks = chunk_text(text, limits)
    assert_exact(chunks, text, limits)
    assert chunks[0].text == "Before."
    assert chunks[-1].text == "After."
    pieces = chunks[1:-1]
    assert len(pieces) > 3
    for before, after in pairwise(pieces):
        assert after.line_start <= before.line_end


def test_one_small_file_is_one_chunk() -> None:
    text = "Hello.\r\nSecond line.\r\n"
    [chunk] = chunk_text(text)
    assert (chunk.text, chunk.line_start, chunk.line_end) == ("Hello.\nSecond line.", 1, 2)


def test_blank_text_has_no_chunks() -> None:
    assert chunk_text("") == []
    assert chunk_text(" \n\t\n\n") == []
