"""The promise every non-PDF chunker makes: a chunk is the file's own text, untouched: whole
lines, or (prose cut between sentences) the text from a point in its first line to a point in
its last."""

from __future__ import annotations

from collections.abc import Sequence

from memvault.content.chunking import Chunk, ChunkLimits


def source_lines(text: str, first: int, last: int) -> str:
    """Lines ``first..last`` (1-based, inclusive) as an editor shows them."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    return "\n".join(lines[first - 1 : last])


def assert_exact(chunks: Sequence[Chunk], text: str, limits: ChunkLimits | None = None) -> None:
    assert chunks, "expected at least one chunk"
    for chunk in chunks:
        assert 1 <= chunk.line_start <= chunk.line_end
        assert is_within_lines(chunk.text, source_lines(text, chunk.line_start, chunk.line_end))
        assert chunk.text.strip(), "whitespace-only chunk"
        if limits is not None:
            assert len(chunk.text) <= limits.max_chars, chunk


def is_within_lines(piece: str, lines: str) -> bool:
    """``piece`` is ``lines`` less some text at the start of the first line and at the end of
    the last one."""
    got, want = piece.split("\n"), lines.split("\n")
    if len(got) != len(want):
        return False
    if len(got) == 1:
        return got[0] in want[0]
    return want[0].endswith(got[0]) and want[-1].startswith(got[-1]) and got[1:-1] == want[1:-1]
