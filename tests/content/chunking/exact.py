"""The promise every non-PDF chunker makes: a chunk is the file's own lines, untouched."""

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
        assert chunk.text == source_lines(text, chunk.line_start, chunk.line_end), chunk
        assert chunk.text.strip(), "whitespace-only chunk"
        if limits is not None:
            assert len(chunk.text) <= limits.max_chars, chunk
