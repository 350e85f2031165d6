"""Files into search chunks: which files to read (``walk``) and how to cut each (``chunk_file``).

This package is pure: it reads bytes and returns values, and knows nothing of the database or
the vault, so the same chunks can feed any store and every rule here is testable on its own.
Each format is cut where its own structure says a unit of meaning ends (a Markdown section, a
code definition, a paragraph, a PDF page), and every chunk keeps the line range it came from.
"""

from __future__ import annotations

import os
import re

from memvault.content.chunking.chunks import Chunk, ChunkLimits
from memvault.content.chunking.code import chunk_code, language_for
from memvault.content.chunking.markdown import chunk_markdown
from memvault.content.chunking.pdf import chunk_pdf
from memvault.content.chunking.text import chunk_text
from memvault.content.chunking.walker import FoundFile, SkippedFile, WalkResult, walk

__all__ = [
    "Chunk",
    "ChunkLimits",
    "FoundFile",
    "SkippedFile",
    "WalkResult",
    "chunk_code",
    "chunk_file",
    "chunk_markdown",
    "chunk_pdf",
    "chunk_text",
    "language_for",
    "walk",
]

MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown", ".mdx"})

# YAML front matter: "---" on the very first line, closed by "---" (or YAML's "...") on its own.
_FRONT_MATTER = re.compile(
    r"---[ \t]*\r?\n(?:.*?\r?\n)??(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", re.DOTALL
)


def chunk_file(relpath: str, data: bytes, limits: ChunkLimits = ChunkLimits()) -> list[Chunk]:
    """Chunks of one file, by its extension; an unknown extension is read as plain text."""
    extension = os.path.splitext(relpath)[1].lower()
    if extension == ".pdf":
        return chunk_pdf(data, limits)
    # Undecodable bytes become U+FFFD: a file with one bad byte is still worth finding.
    text = data.decode("utf-8-sig", errors="replace")
    if extension in MARKDOWN_EXTENSIONS:
        body, first_line = _without_front_matter(text)
        return chunk_markdown(body, limits, first_line=first_line)
    language = language_for(relpath)
    if language is not None:
        return chunk_code(text, language, limits)
    return chunk_text(text, limits)


def _without_front_matter(text: str) -> tuple[str, int]:
    """The Markdown body and the file line it starts on.

    Front matter is metadata (tags, dates), not prose worth a search hit; dropping it while
    counting its lines keeps every chunk's line numbers true to the file.
    """
    match = _FRONT_MATTER.match(text)
    if match is None:
        return text, 1
    return text[match.end() :], 1 + match.group().count("\n")
