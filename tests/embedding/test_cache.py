"""The embedding cache: same vectors as the embedder it wraps, each text embedded only once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from memvault.embedding import cache as cache_module
from memvault.embedding.base import Embedder, EmbeddingError
from memvault.embedding.cache import CachedEmbedder
from memvault.embedding.hashing import HashEmbedder

if TYPE_CHECKING:
    from memvault.embedding.base import Vectors


class Counting:
    """A hash embedder that counts texts embedded and embeds queries differently (as e5 does)."""

    def __init__(self, dimensions: int = 32) -> None:
        self.inner = HashEmbedder(dimensions)
        self.documents: list[str] = []
        self.queries: list[str] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimensions(self) -> int:
        return self.inner.dimensions

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.documents.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        self.queries.append(text)
        vector: Vectors = -self.inner.embed_query(text)
        return vector


TEXTS = ["alpha beta", "gamma delta", "epsilon"]


def shards(root: Path) -> list[Path]:
    return sorted(root.rglob("*.npz"))


def test_vectors_equal_the_inner_embedders_and_are_computed_once(tmp_path: Path) -> None:
    inner = Counting()
    cached: Embedder = CachedEmbedder(inner, tmp_path / "cache")
    first = cached.embed_documents(TEXTS)
    np.testing.assert_array_equal(first, inner.inner.embed_documents(TEXTS))
    assert first.dtype == np.float32 and first.shape == (3, 32)
    assert (cached.model_id, cached.dimensions) == ("hash-32", 32)

    again = cached.embed_documents(["epsilon", "zeta", "alpha beta"])
    np.testing.assert_array_equal(
        again, inner.inner.embed_documents(["epsilon", "zeta", "alpha beta"])
    )
    assert inner.documents == [*TEXTS, "zeta"]


def test_the_cache_survives_the_process(tmp_path: Path) -> None:
    CachedEmbedder(Counting(), tmp_path).embed_documents(TEXTS)
    later = Counting()
    vectors = CachedEmbedder(later, tmp_path).embed_documents(TEXTS)
    assert later.documents == []
    np.testing.assert_array_equal(vectors, HashEmbedder(32).embed_documents(TEXTS))


def test_a_repeated_text_in_one_batch_is_embedded_once(tmp_path: Path) -> None:
    inner = Counting()
    vectors = CachedEmbedder(inner, tmp_path).embed_documents(["same", "other", "same"])
    assert inner.documents == ["same", "other"]
    np.testing.assert_array_equal(vectors[0], vectors[2])


def test_models_and_query_vectors_are_kept_apart(tmp_path: Path) -> None:
    small, large = Counting(16), Counting(32)
    CachedEmbedder(small, tmp_path).embed_documents(TEXTS)
    assert CachedEmbedder(large, tmp_path).embed_documents(TEXTS).shape == (3, 32)
    assert large.documents == TEXTS  # another model_id: nothing reused

    inner = Counting()
    cached = CachedEmbedder(inner, tmp_path)
    document = cached.embed_documents(["alpha beta"])[0]
    query = cached.embed_query("alpha beta")
    np.testing.assert_array_equal(query, -document)  # the query path, not the document's vector
    np.testing.assert_array_equal(cached.embed_query("alpha beta"), query)
    assert inner.queries == ["alpha beta"]
    assert query.shape == (32,)


def test_queries_can_be_left_uncached(tmp_path: Path) -> None:
    inner = Counting()
    cached = CachedEmbedder(inner, tmp_path, cache_queries=False)
    cached.embed_query("q")
    cached.embed_query("q")
    assert inner.queries == ["q", "q"]
    assert shards(tmp_path) == []


def test_damaged_or_foreign_shards_are_recomputed(tmp_path: Path) -> None:
    CachedEmbedder(Counting(), tmp_path).embed_documents(TEXTS)
    (shard,) = shards(tmp_path)
    shard.write_bytes(b"not a zip file")
    np.savez(
        shard.with_name("wrong.npz"), keys=np.zeros((1, 32), np.uint8), vectors=np.ones((1, 7))
    )
    np.savez(shard.with_name("nokeys.npz"), vectors=np.ones((1, 32), np.float32))
    inner = Counting()
    vectors = CachedEmbedder(inner, tmp_path).embed_documents(TEXTS)
    assert inner.documents == TEXTS
    np.testing.assert_array_equal(vectors, HashEmbedder(32).embed_documents(TEXTS))


def test_an_unwritable_cache_costs_speed_not_results(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    inner = Counting()
    cached = CachedEmbedder(inner, blocker / "cache")
    for _ in range(2):
        vectors = cached.embed_documents(TEXTS)
        np.testing.assert_array_equal(vectors, HashEmbedder(32).embed_documents(TEXTS))
    assert inner.documents == TEXTS  # still remembered in memory
    assert list(tmp_path.rglob("*.part")) == []


def test_many_shards_are_merged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "COMPACT_AFTER", 3)
    cached = CachedEmbedder(Counting(), tmp_path)
    words = [f"word{i}" for i in range(6)]
    for word in words:
        cached.embed_documents([word])
    assert len(shards(tmp_path)) <= 3
    later = Counting()
    CachedEmbedder(later, tmp_path).embed_documents(words)
    assert later.documents == []


def test_digests_ending_in_zero_bytes_round_trip(tmp_path: Path) -> None:
    shelf = cache_module._Shelf(tmp_path, 4)
    key = bytes(31) + b"\x00"
    shelf.add({key: np.ones(4, np.float32)})
    assert cache_module._Shelf(tmp_path, 4).get(key) is not None


def test_empty_and_bad_input(tmp_path: Path) -> None:
    cached = CachedEmbedder(Counting(), tmp_path)
    assert cached.embed_documents([]).shape == (0, 32)
    with pytest.raises(EmbeddingError, match="not one string"):
        cached.embed_documents("alpha")
    with pytest.raises(EmbeddingError, match="only str"):
        cached.embed_documents([b"bytes"])  # type: ignore[list-item]
