"""Prose cut between sentences: no heading-only or stub pieces, whole sentences as overlap,
abbreviations and list numbers not taken for sentence ends, and every piece the file's text."""

from __future__ import annotations

from itertools import pairwise

import pytest

from memvault.content.chunking import ChunkLimits, chunk_markdown, chunk_text
from memvault.content.chunking.prose import _sentence_bounds
from tests.content.chunking.exact import assert_exact


def sentences_of(text: str) -> list[str]:
    bounds = _sentence_bounds(text, 0, len(text))
    return [text[s:e].strip() for s, e in zip([0, *bounds], [*bounds, len(text)], strict=True)]


def test_sentence_ends_skip_abbreviations_initials_and_list_numbers() -> None:
    text = (
        "Dr. Smith et al. found it, e.g. in the U.S. Army. J. R. Tolkien wrote 3.5 books! "
        'Why? "Quoted." Next one starts here.\n1. first item\n2. second item'
    )
    assert sentences_of(text) == [
        "Dr. Smith et al. found it, e.g. in the U.S. Army.",
        "J. R. Tolkien wrote 3.5 books!",
        "Why?",
        '"Quoted."',
        "Next one starts here.",
        "1. first item",
        "2. second item",
    ]
    assert sentences_of("It ended in 2019. The next year began.") == [
        "It ended in 2019.",
        "The next year began.",
    ]
    assert sentences_of("lower case after a stop. does not start one") == [
        "lower case after a stop. does not start one"
    ]


def test_a_heading_with_one_long_line_never_stands_alone() -> None:
    line = " ".join(f"Sentence {n} says something about the okapi herd." for n in range(80))
    text = f"# Okapi\n\n{line}\n"
    limits = ChunkLimits(max_chars=500, overlap_chars=120)
    chunks = chunk_markdown(text, limits)
    assert_exact(chunks, text, limits)
    assert chunks[0].text.startswith("# Okapi\n\nSentence 0 ")
    for chunk in chunks:
        body = chunk.text.removeprefix("# Okapi\n\n")
        assert body.startswith("Sentence ") and body.endswith("herd.")  # whole sentences
        assert len(body) >= limits.max_chars // 2 or chunk is chunks[-1]
    for before, after in pairwise(chunks):
        shared = next(
            before.text[i:]
            for i in range(len(before.text))
            if after.text.startswith(before.text[i:])
        )
        assert shared.startswith("Sentence ") and shared.endswith("herd.")  # whole sentences
        assert 0 < len(shared) <= limits.overlap_chars


def test_a_sentence_longer_than_a_chunk_is_cut_by_words_without_a_stub() -> None:
    giant = " ".join(["word"] * 700) + " end."  # 3,500 characters, no sentence end inside
    text = f"## Log\n{giant}\nAfter it a short sentence follows here."
    limits = ChunkLimits(max_chars=1500, overlap_chars=200)
    chunks = chunk_markdown(text, limits)
    assert_exact(chunks, text, limits)
    assert chunks[0].text.startswith("## Log\nword")
    assert all(len(c.text.split()) > 30 for c in chunks)  # no heading-and-two-words piece
    assert "After it a short sentence follows here." in chunks[-1].text


@pytest.mark.parametrize("max_chars", [1, 2, 5, 17, 64])
def test_tiny_limits_still_end_and_cover_everything(max_chars: int) -> None:
    text = "# H\n\nAlpha beta. Gamma delta epsilon! Zeta eta theta iota kappa.\n"
    limits = ChunkLimits(max_chars=max_chars, overlap_chars=max_chars // 2)
    chunks = chunk_markdown(text, limits)
    assert all(len(c.text) <= max_chars and c.text.strip() for c in chunks)
    joined = " ".join(c.text for c in chunks)
    for word in ("Alpha", "epsilon", "kappa"):
        assert word[:max_chars] in joined


def test_plain_text_paragraphs_are_cut_between_sentences_too() -> None:
    paragraph = " ".join(f"Entry {n} is logged by the night keeper." for n in range(60))
    text = f"Intro line.\n\n{paragraph}\n"
    limits = ChunkLimits(max_chars=400, overlap_chars=100)
    chunks = chunk_text(text, limits)
    assert_exact(chunks, text, limits)
    assert all(c.text.endswith(".") for c in chunks)
