"""The hash embedder: the stand-in other tests rely on, so its promises are checked here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from memvault.embedding.base import EmbeddingError
from memvault.embedding.hashing import HashEmbedder


def test_same_text_same_vector_even_in_another_process() -> None:
    here = HashEmbedder(64).embed_query("deploy with make release")
    code = (
        "from memvault.embedding.hashing import HashEmbedder;"
        "print(HashEmbedder(64).embed_query('deploy with make release').tolist())"
    )
    # A different hash seed would change hash(); the vectors must not change with it.
    there = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    ).stdout
    np.testing.assert_array_equal(here, np.array(json.loads(there), dtype=np.float32))


def test_vectors_are_unit_float32_of_the_asked_width() -> None:
    embedder = HashEmbedder(128)
    vectors = embedder.embed_documents(["alpha beta", "gamma", "Alpha BETA alpha"])
    assert vectors.shape == (3, 128)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    assert embedder.model_id == "hash-128"
    assert embedder.dimensions == 128


def test_shared_words_score_higher_than_none() -> None:
    embedder = HashEmbedder()
    query = embedder.embed_query("sqlite backup")
    docs = embedder.embed_documents(["how to backup the sqlite file", "lunch menu for friday"])
    scores = docs @ query
    assert scores[0] > 0.4
    assert abs(scores[1]) < 0.2


def test_case_and_punctuation_do_not_matter() -> None:
    embedder = HashEmbedder()
    np.testing.assert_array_equal(
        embedder.embed_query("Hello, World!"), embedder.embed_query("hello world")
    )


def test_text_without_words_is_the_zero_vector() -> None:
    assert not HashEmbedder(16).embed_query("  ... !!").any()


def test_width_is_bounded() -> None:
    with pytest.raises(EmbeddingError):
        HashEmbedder(0)
