from __future__ import annotations

from fpdf import FPDF

from memvault.content import chunking as ingest
from memvault.content.chunking import ChunkLimits, chunk_file
from tests.content.chunking.exact import assert_exact

NOTE = """\
---
title: Setup
tags: [a, b]
---
Intro.

# Install

Steps.
"""


def test_markdown_front_matter_is_dropped_but_line_numbers_stay_true() -> None:
    chunks = chunk_file("notes/setup.md", NOTE.encode())
    assert_exact(chunks, NOTE)
    assert [(c.heading, c.line_start, c.line_end) for c in chunks] == [
        (None, 5, 5),
        ("Install", 7, 9),
    ]
    assert all("title:" not in c.text for c in chunks)


def test_front_matter_needs_a_closing_line() -> None:
    text = "---\nnot: closed\n# H\n"
    chunks = chunk_file("a.markdown", text.encode())
    assert chunks[0].line_start == 1
    assert "not: closed" in chunks[0].text


def test_crlf_front_matter_and_a_byte_order_mark() -> None:
    data = b"\xef\xbb\xbf---\r\na: 1\r\n---\r\n# H\r\nbody\r\n"
    [chunk] = chunk_file("a.mdx", data)
    assert (chunk.heading, chunk.line_start, chunk.line_end, chunk.text) == ("H", 4, 5, "# H\nbody")


def test_code_goes_to_the_code_chunker() -> None:
    source = "import os\n\n\ndef main() -> None:\n    pass\n"
    chunks = chunk_file("src/app.py", source.encode())
    assert [c.heading for c in chunks] == [None, "def main"]
    go = chunk_file("main.go", b"package main\n\nfunc main() {}\n")
    assert [c.heading for c in go] == [None, "func main"]


def test_pdfs_go_to_the_pdf_chunker() -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Inside a PDF.")
    [chunk] = chunk_file("docs/Paper.PDF", bytes(pdf.output()))
    assert (chunk.page, chunk.text) == (1, "Inside a PDF.")


def test_anything_else_is_text_and_bad_utf8_still_indexes() -> None:
    data = b"caf\xe9 au lait\n\nsecond paragraph\n"
    [chunk] = chunk_file("notes.txt", data, ChunkLimits(max_chars=100, overlap_chars=10))
    assert chunk.text == "caf\ufffd au lait\n\nsecond paragraph"
    assert chunk_file("Makefile", b"all:\n\techo hi\n")[0].heading is None


def test_the_public_names() -> None:
    assert {
        "Chunk",
        "ChunkLimits",
        "FoundFile",
        "SkippedFile",
        "WalkResult",
        "chunk_file",
        "language_for",
        "walk",
    } <= set(ingest.__all__)
