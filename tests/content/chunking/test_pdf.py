from __future__ import annotations

import io
from itertools import pairwise

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from memvault.content.chunking import ChunkLimits
from memvault.content.chunking.pdf import chunk_pdf
from memvault.core.errors import InvalidInputError
from tests.content.chunking.exact import is_within_lines


def build_pdf(pages: list[str], *, user_password: str | None = None) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    if user_password is not None:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    return bytes(pdf.output())


def page_lines(data: bytes, page: int, first: int, last: int) -> str:
    text = PdfReader(io.BytesIO(data)).pages[page - 1].extract_text()
    return "\n".join(text.split("\n")[first - 1 : last])


def test_chunks_carry_their_page_and_lines_within_it() -> None:
    data = build_pdf(["Alpha page one.\nSecond line.", "Beta page two."])
    chunks = chunk_pdf(data)
    assert [(c.page, c.line_start, c.line_end) for c in chunks] == [(1, 1, 2), (2, 1, 1)]
    assert "Alpha page one." in chunks[0].text
    assert "Beta page two." in chunks[1].text
    for chunk in chunks:
        assert chunk.page is not None
        assert chunk.text == page_lines(data, chunk.page, chunk.line_start, chunk.line_end)


def test_a_long_page_is_grouped_into_chunks_within_the_limit() -> None:
    text = " ".join(f"Sentence number {n} about the topic." for n in range(120))
    data = build_pdf([text])
    limits = ChunkLimits(max_chars=500, overlap_chars=150)  # extracted lines are ~100 chars
    chunks = chunk_pdf(data, limits)
    assert len(chunks) > 4
    assert all(c.page == 1 and len(c.text) <= 500 for c in chunks)
    for chunk in chunks:  # cut between sentences, which run across the page's lines
        assert is_within_lines(chunk.text, page_lines(data, 1, chunk.line_start, chunk.line_end))
        words = " ".join(chunk.text.split())
        assert words.startswith("Sentence number") and words.endswith("topic.")
    for before, after in pairwise(chunks):
        assert after.line_start <= before.line_end  # overlap
        last = " ".join(before.text.split()).split(". ")[-1]
        assert last in " ".join(after.text.split())  # whole sentences repeated
    assert "Sentence number 119" in chunks[-1].text


def test_a_page_without_text_yields_nothing() -> None:
    pdf = FPDF()
    pdf.add_page()
    assert chunk_pdf(bytes(pdf.output())) == []


def test_a_password_protected_pdf_is_refused_in_one_line() -> None:
    with pytest.raises(InvalidInputError, match="encrypted") as caught:
        chunk_pdf(build_pdf(["Secret."], user_password="secret"))
    assert "\n" not in str(caught.value)


def test_a_pdf_encrypted_without_a_user_password_is_read() -> None:
    [chunk] = chunk_pdf(build_pdf(["Readable."], user_password=""))
    assert chunk.text == "Readable."


@pytest.mark.parametrize("data", [b"", b"not a pdf at all", b"%PDF-1.7\n1 0 obj\n<<"])
def test_a_broken_pdf_is_refused_in_one_line(data: bytes) -> None:
    with pytest.raises(InvalidInputError, match="PDF") as caught:
        chunk_pdf(data)
    assert "\n" not in str(caught.value)


def test_a_truncated_pdf_is_refused() -> None:
    data = build_pdf(["Some text here."])
    with pytest.raises(InvalidInputError):
        chunk_pdf(data[: len(data) // 2])
