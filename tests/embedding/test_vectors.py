"""Reply checking and normalisation shared by all providers."""

from __future__ import annotations

import numpy as np
import pytest

from memvault.embedding.base import EmbeddingError
from memvault.embedding.vectors import batches, normalise_rows, to_matrix


def test_rows_become_unit_float32() -> None:
    matrix = to_matrix([[3, 4], [0.5, 0]], expected_rows=2, dimensions=2, source="s")
    assert matrix.dtype == np.float32
    np.testing.assert_allclose(matrix, [[0.6, 0.8], [1.0, 0.0]], rtol=1e-6)


def test_a_zero_row_stays_zero_instead_of_nan() -> None:
    out = normalise_rows(np.zeros((1, 3), dtype=np.float32))
    assert np.isfinite(out).all()
    assert not out.any()


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ({"a": 1}, "returned dict for 1 texts"),
        ([[1.0], [2.0]], "returned 2 vectors for 1 texts"),
        ([[[1.0], [2.0]]], "not a list of numbers"),
        ([[1.0, 2.0, 3.0]], "3-dimensional vectors, expected 2"),
        ([[float("inf"), 1.0]], "NaN or infinity"),
    ],
)
def test_malformed_replies(rows: object, fragment: str) -> None:
    with pytest.raises(EmbeddingError, match=fragment):
        to_matrix(rows, expected_rows=1, dimensions=2, source="s")


def test_batches_cover_everything_in_order() -> None:
    assert [list(b) for b in batches(["a", "b", "c", "d", "e"], 2)] == [
        ["a", "b"],
        ["c", "d"],
        ["e"],
    ]
