"""Plain text (and anything else that is not Markdown, code or PDF) cut by paragraph.

Without structure to go by, a blank line is the best sign of where one thought ends. Short
paragraphs are merged up to the size limit so that a file of one-line entries (a log, a list)
does not become hundreds of chunks too small to rank well.
"""

from __future__ import annotations

from memvault.content.chunking.chunks import Chunk, ChunkLimits
from memvault.content.chunking.lines import grouped, split_lines


def chunk_text(text: str, limits: ChunkLimits = ChunkLimits()) -> list[Chunk]:
    """Paragraphs, small neighbours merged, oversized ones cut by line with overlap."""
    lines = split_lines(text)
    return grouped(lines, 0, len(lines), limits, prose=True)
