"""Checks and normalisation shared by the providers, so every one keeps the same contract.

Vectors from any source (a local model, a remote server) pass through here before they leave a
provider: the index then can rely on float32, the declared width, finite values and unit length.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from memvault.embedding.base import EmbeddingError

if TYPE_CHECKING:
    from memvault.embedding.base import Vectors


def normalise_rows(matrix: Vectors) -> Vectors:
    """Scale each row to unit length; an all-zero row stays zero rather than becoming NaN."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    out: Vectors = (matrix / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
    return out


def to_matrix(rows: Any, *, expected_rows: int, dimensions: int | None, source: str) -> Vectors:
    """Turn decoded JSON (a list of number lists) into a checked, normalised (n, d) matrix.

    ``dimensions`` is the width the caller expects (configured or first seen), or None to accept
    whatever the first answer has. ``source`` names the provider in error messages.
    """
    if not isinstance(rows, list) or len(rows) != expected_rows:
        got = f"{len(rows)} vectors" if isinstance(rows, list) else type(rows).__name__
        raise EmbeddingError(f"{source} returned {got} for {expected_rows} texts")
    if expected_rows == 0:
        return np.zeros((0, dimensions or 0), dtype=np.float32)
    widths = {len(row) if isinstance(row, list) else -1 for row in rows}
    if -1 in widths:
        raise EmbeddingError(f"{source} returned a vector that is not a list of numbers")
    if len(widths) != 1:
        raise EmbeddingError(f"{source} returned vectors of mixed widths {sorted(widths)}")
    width = widths.pop()
    if width == 0:
        raise EmbeddingError(f"{source} returned empty vectors")
    if dimensions is not None and width != dimensions:
        raise EmbeddingError(
            f"{source} returned {width}-dimensional vectors, expected {dimensions} "
            "(the model changed? re-embed with `memvault reembed`)"
        )
    try:
        matrix = np.asarray(rows, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise EmbeddingError(f"{source} returned a vector that is not a list of numbers") from exc
    if matrix.ndim != 2:
        raise EmbeddingError(f"{source} returned a vector that is not a list of numbers")
    if not np.isfinite(matrix).all():
        raise EmbeddingError(f"{source} returned vectors containing NaN or infinity")
    return normalise_rows(matrix)


def batches(texts: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """Consecutive slices of at most ``size`` texts."""
    for start in range(0, len(texts), size):
        yield texts[start : start + size]


def check_texts(texts: Sequence[str], source: str) -> None:
    """Reject a bare string (which would be embedded letter by letter) and non-strings."""
    if isinstance(texts, str):
        raise EmbeddingError(f"{source}: embed_documents takes a list of texts, not one string")
    for text in texts:
        if not isinstance(text, str):
            raise EmbeddingError(f"{source}: cannot embed {type(text).__name__}, only str")
