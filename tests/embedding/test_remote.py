"""Ollama and OpenAI-compatible providers against a real stub server on 127.0.0.1."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from memvault.embedding.base import EmbeddingError
from memvault.embedding.remote import OllamaEmbedder, OpenAICompatibleEmbedder
from tests.embedding.stub_server import (
    Reply,
    Request,
    StubServer,
    fake_vector,
    ollama_ok,
    openai_ok,
)


def expected(texts: list[str], dims: int) -> np.ndarray:
    raw = np.array([fake_vector(t, dims) for t in texts], dtype=np.float32)
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- Ollama -------------------------------------------------------------------------------


def test_ollama_returns_normalised_vectors_in_input_order_across_batches(stub: StubServer) -> None:
    stub.respond = ollama_ok(4)
    embedder = OllamaEmbedder("nomic-embed-text", stub.url, batch_size=2)
    texts = ["a", "bbb", "cc", "dddd", "e"]

    vectors = embedder.embed_documents(texts)

    assert vectors.dtype == np.float32
    assert vectors.shape == (5, 4)
    np.testing.assert_allclose(vectors, expected(texts, 4), rtol=1e-6)
    assert [r.body["input"] for r in stub.requests] == [["a", "bbb"], ["cc", "dddd"], ["e"]]
    assert {r.path for r in stub.requests} == {"/api/embed"}
    assert stub.requests[0].body["model"] == "nomic-embed-text"
    assert embedder.model_id == "ollama:nomic-embed-text"
    assert embedder.dimensions == 4  # first seen; no extra request needed
    assert len(stub.requests) == 3


def test_ollama_query_is_one_vector(stub: StubServer) -> None:
    stub.respond = ollama_ok(3)
    vector = OllamaEmbedder("m", stub.url).embed_query("hello")
    assert vector.shape == (3,)
    np.testing.assert_allclose(vector, expected(["hello"], 3)[0], rtol=1e-6)


def test_dimensions_asks_the_server_once_when_not_configured(stub: StubServer) -> None:
    stub.respond = ollama_ok(7)
    embedder = OllamaEmbedder("m", stub.url)
    assert embedder.dimensions == 7
    assert embedder.dimensions == 7
    assert len(stub.requests) == 1


def test_empty_input_sends_nothing(stub: StubServer) -> None:
    embedder = OllamaEmbedder("m", stub.url, dimensions=5)
    assert embedder.embed_documents([]).shape == (0, 5)
    assert stub.requests == []


def test_http_500_is_one_line_with_the_server_message(stub: StubServer) -> None:
    stub.respond = lambda r: Reply(status=500, json_body={"error": "llama runner\ncrashed"})
    with pytest.raises(EmbeddingError) as caught:
        OllamaEmbedder("m", stub.url).embed_documents(["x"])
    message = str(caught.value)
    assert "\n" not in message
    assert "HTTP 500" in message
    assert "llama runner crashed" in message
    assert stub.url in message


def test_unknown_model_says_so(stub: StubServer) -> None:
    stub.respond = lambda r: Reply(status=404, json_body={"error": 'model "nope" not found'})
    with pytest.raises(EmbeddingError, match=r'HTTP 404: model "nope" not found'):
        OllamaEmbedder("nope", stub.url).embed_query("x")


def test_configured_dimensions_are_enforced(stub: StubServer) -> None:
    stub.respond = ollama_ok(3)
    with pytest.raises(EmbeddingError, match="returned 3-dimensional vectors, expected 384"):
        OllamaEmbedder("m", stub.url, dimensions=384).embed_documents(["x"])


def test_a_width_change_after_the_first_answer_is_refused(stub: StubServer) -> None:
    embedder = OllamaEmbedder("m", stub.url)
    stub.respond = ollama_ok(4)
    embedder.embed_query("first")
    stub.respond = ollama_ok(8)  # someone pulled another model under the same name
    with pytest.raises(EmbeddingError, match="returned 8-dimensional vectors, expected 4"):
        embedder.embed_query("second")


@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        (Reply(text="<html>Bad gateway</html>"), "not JSON"),
        (Reply(json_body={"vectors": []}), "without an 'embeddings' field"),
        (Reply(json_body={"embeddings": [[1.0, 2.0]]}), "returned 1 vectors for 2 texts"),
        (Reply(json_body={"embeddings": [[1.0, 2.0], [1.0]]}), "mixed widths"),
        (Reply(json_body={"embeddings": [[1.0, "a"], [1.0, 2.0]]}), "not a list of numbers"),
        (Reply(json_body={"embeddings": [[1.0, float("nan")], [1.0, 2.0]]}), "NaN"),
        (Reply(json_body={"embeddings": [[], []]}), "empty vectors"),
    ],
)
def test_bad_replies_are_embedding_errors(stub: StubServer, reply: Reply, fragment: str) -> None:
    stub.respond = lambda r: reply
    with pytest.raises(EmbeddingError, match=fragment):
        OllamaEmbedder("m", stub.url).embed_documents(["one", "two"])


def test_connection_refused_is_one_clear_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there any more
    with pytest.raises(EmbeddingError, match=r"ollama at http://127\.0\.0\.1:\d+ is unreachable"):
        OllamaEmbedder("m", url).embed_query("x")


def test_a_server_that_hangs_times_out(stub: StubServer) -> None:
    stub.respond = lambda r: Reply(json_body={"embeddings": [[1.0]]}, delay=1.0)
    with pytest.raises(EmbeddingError, match=r"did not answer within 0\.2 s"):
        OllamaEmbedder("m", stub.url, timeout=0.2).embed_query("x")


def test_not_a_url_is_refused_at_construction() -> None:
    with pytest.raises(EmbeddingError, match="not an http"):
        OllamaEmbedder("m", "127.0.0.1:11434")


def test_a_single_string_is_not_embedded_letter_by_letter(stub: StubServer) -> None:
    with pytest.raises(EmbeddingError, match="list of texts"):
        OllamaEmbedder("m", stub.url).embed_documents("hello")
    assert stub.requests == []


# --- OpenAI-compatible --------------------------------------------------------------------


def test_openai_reorders_by_index_and_sends_the_bearer_key(stub: StubServer) -> None:
    stub.respond = openai_ok(6, reverse=True)
    embedder = OpenAICompatibleEmbedder("text-embedding-3-small", stub.url + "/v1/", api_key="sk-1")
    texts = ["short", "a much longer text", "mid text"]

    vectors = embedder.embed_documents(texts)

    np.testing.assert_allclose(vectors, expected(texts, 6), rtol=1e-6)
    (request,) = stub.requests
    assert request.path == "/v1/embeddings"
    assert request.body == {"model": "text-embedding-3-small", "input": texts}
    assert request.headers["Authorization"] == "Bearer sk-1"
    assert embedder.model_id == "openai:text-embedding-3-small"


def test_openai_without_key_sends_no_authorization(stub: StubServer) -> None:
    stub.respond = openai_ok(2)
    OpenAICompatibleEmbedder("m", stub.url).embed_query("x")
    assert "Authorization" not in stub.requests[0].headers


def test_openai_batches(stub: StubServer) -> None:
    stub.respond = openai_ok(2)
    embedder = OpenAICompatibleEmbedder("m", stub.url, batch_size=3)
    assert embedder.embed_documents([str(i) for i in range(7)]).shape == (7, 2)
    assert [len(r.body["input"]) for r in stub.requests] == [3, 3, 1]


def test_openai_error_message_and_key_hint(stub: StubServer) -> None:
    stub.respond = lambda r: Reply(
        status=401, json_body={"error": {"message": "Incorrect API key provided", "type": "auth"}}
    )
    with pytest.raises(EmbeddingError) as caught:
        OpenAICompatibleEmbedder("m", stub.url, api_key="bad").embed_query("x")
    assert "HTTP 401: Incorrect API key provided" in str(caught.value)
    assert "MEMVAULT_EMBED_API_KEY" in str(caught.value)


def test_openai_500_with_a_plain_body(stub: StubServer) -> None:
    stub.respond = lambda r: Reply(status=500, text="Internal Server Error")
    with pytest.raises(EmbeddingError, match="HTTP 500: Internal Server Error"):
        OpenAICompatibleEmbedder("m", stub.url).embed_query("x")


def test_openai_wrong_dimensions(stub: StubServer) -> None:
    stub.respond = openai_ok(1536)
    with pytest.raises(EmbeddingError, match="1536-dimensional vectors, expected 384"):
        OpenAICompatibleEmbedder("m", stub.url, dimensions=384).embed_documents(["a", "b"])


def _duplicate_index(request: Request) -> Reply:
    item = {"index": 0, "embedding": [1.0, 0.0]}
    return Reply(json_body={"data": [item, item]})


@pytest.mark.parametrize(
    ("respond", "fragment"),
    [
        (lambda r: Reply(json_body={"object": "list"}), "without a 'data' list"),
        (lambda r: Reply(json_body={"data": [1, 2]}), "without a 'data' list"),
        (_duplicate_index, "inconsistent 'index'"),
        (lambda r: Reply(json_body={"data": [{"index": 0}, {"index": 1}]}), "not a list"),
    ],
)
def test_openai_bad_replies(stub: StubServer, respond: object, fragment: str) -> None:
    stub.respond = respond  # type: ignore[assignment]
    with pytest.raises(EmbeddingError, match=fragment):
        OpenAICompatibleEmbedder("m", stub.url).embed_documents(["a", "b"])


def test_openai_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(
        EmbeddingError, match=r"openai at http://127\.0\.0\.1:\d+/v1 is unreachable"
    ):
        OpenAICompatibleEmbedder("m", url).embed_query("x")
