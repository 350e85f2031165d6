"""PDF documents: text extracted page by page, then cut like plain text.

The page number is what a reader can navigate by in a PDF viewer, so every chunk keeps it and
counts its lines within the page's extracted text (a PDF has no lines of its own to point at).
Extraction rarely yields blank lines between paragraphs, so most pages end up as runs of lines
grouped up to the size limit.

pypdf is imported when a PDF is actually read: it takes a noticeable part of a second to import,
and most runs of the program never see a PDF.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from memvault.content.chunking.chunks import Chunk, ChunkLimits
from memvault.content.chunking.lines import grouped, split_lines
from memvault.core.errors import InvalidInputError

if TYPE_CHECKING:
    from pypdf import PdfReader


def chunk_pdf(data: bytes, limits: ChunkLimits = ChunkLimits()) -> list[Chunk]:
    """Chunks of every page with text; scanned pages without a text layer yield none."""
    reader = _open(data)
    chunks: list[Chunk] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text()
        except Exception as exc:  # pypdf raises many kinds of error on damaged content
            raise InvalidInputError(f"cannot read PDF page {number}: {_reason(exc)}") from exc
        lines = split_lines(text)
        chunks.extend(grouped(lines, 0, len(lines), limits, page=number, prose=True))
    return chunks


def _open(data: bytes) -> PdfReader:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data))
        # PdfReader has already tried the empty password, which opens the many PDFs that are
        # encrypted only to restrict printing or copying.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise InvalidInputError("the PDF is encrypted with a password")
        len(reader.pages)  # reads the page tree, where a truncated file usually fails
    except InvalidInputError:
        raise
    except DependencyError as exc:  # AES needs the optional `cryptography` package
        raise InvalidInputError(f"cannot decrypt the PDF: {_reason(exc)}") from exc
    except Exception as exc:  # a damaged file can fail anywhere in pypdf's parser
        raise InvalidInputError(f"not a readable PDF: {_reason(exc)}") from exc
    return reader


def _reason(exc: Exception) -> str:
    message = " ".join(str(exc).split())
    return message or type(exc).__name__
