from __future__ import annotations

import dataclasses

import pytest

from memvault.content.chunking import Chunk, ChunkLimits
from memvault.core.errors import InvalidInputError


def test_defaults() -> None:
    limits = ChunkLimits()
    assert (limits.max_chars, limits.overlap_chars) == (1500, 200)
    chunk = Chunk("x", 1, 1)
    assert chunk.heading is None
    assert chunk.page is None


def test_values_are_frozen() -> None:
    chunk = Chunk("x", 1, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        chunk.text = "y"  # type: ignore[misc]


@pytest.mark.parametrize(("max_chars", "overlap"), [(0, 0), (100, 100), (100, -1), (10, 20)])
def test_limits_that_could_not_make_progress_are_refused(max_chars: int, overlap: int) -> None:
    with pytest.raises(InvalidInputError):
        ChunkLimits(max_chars=max_chars, overlap_chars=overlap)


def test_no_overlap_is_allowed() -> None:
    assert ChunkLimits(max_chars=10, overlap_chars=0).overlap_chars == 0
