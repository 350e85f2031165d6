"""Embedding servers reached over HTTP: Ollama, and anything that speaks OpenAI's API.

Why they are strict: a server can change under a vault (another model pulled under the same
name, a proxy answering with an HTML error page), and a vector of the wrong width or from a
half-parsed reply would corrupt the index quietly. So every reply is checked (count, width,
finite numbers) against the width configured or, failing that, the first one seen, and every
failure, from a refused connection to a bad JSON field, becomes one ``EmbeddingError`` line that
names the server and what to do.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from memvault.embedding.base import EmbeddingError

if TYPE_CHECKING:
    import httpx

    from memvault.embedding.base import Vectors

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
DEFAULT_OPENAI_URL = "https://api.openai.com/v1"


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


class _HttpEmbedder:
    """What both APIs share: batching, the HTTP call, error wording and reply checks."""

    kind = ""  # "ollama" / "openai": the first part of model_id and of every error message

    def __init__(
        self,
        model: str,
        base_url: str,
        *,
        dimensions: int | None,
        batch_size: int,
        timeout: float,
        headers: dict[str, str] | None = None,
    ) -> None:
        if not model:
            raise EmbeddingError(f"{self.kind}: no model name given")
        if not base_url.startswith(("http://", "https://")):
            raise EmbeddingError(f"{self.kind}: {base_url!r} is not an http(s) URL")
        if dimensions is not None and dimensions < 1:
            raise EmbeddingError(f"{self.kind}: dimensions must be positive, got {dimensions}")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._dimensions = dimensions
        self._batch_size = batch_size
        self._timeout = timeout
        self._headers = headers or {}
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"{self.kind}:{self.model}"

    @property
    def dimensions(self) -> int:
        """The configured width, else the first one seen; asks the server once if neither."""
        if self._dimensions is None:
            self.embed_query("dimension probe")
        assert self._dimensions is not None  # set by the successful call above
        return self._dimensions

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        from memvault.embedding.vectors import batches, check_texts

        check_texts(texts, self.model_id)
        if not texts:
            return np.zeros((0, self._dimensions or 0), dtype=np.float32)
        return np.vstack([self._embed_batch(list(b)) for b in batches(texts, self._batch_size)])

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self._embed_batch([text])[0]
        return vector

    def close(self) -> None:
        """Release the pooled connections (they are reopened if the embedder is used again)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _embed_batch(self, texts: list[str]) -> Vectors:
        from memvault.embedding.vectors import to_matrix

        rows = self._parse(self._post(self._payload(texts)))
        matrix = to_matrix(
            rows, expected_rows=len(texts), dimensions=self._dimensions, source=self._where
        )
        if self._dimensions is None:
            self._dimensions = int(matrix.shape[1])
        return matrix

    @property
    def _endpoint(self) -> str:
        raise NotImplementedError

    @property
    def _where(self) -> str:
        return f"{self.kind} model {self.model!r} at {self.base_url}"

    def _payload(self, texts: list[str]) -> dict[str, Any]:
        return {"model": self.model, "input": texts}

    def _parse(self, body: Any) -> Any:
        raise NotImplementedError

    def _error_detail(self, body: Any) -> str:
        return ""

    def _http(self) -> httpx.Client:
        import httpx

        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 5.0)),
                    headers=self._headers,
                    # A server on this machine is never behind the user's HTTP(S)_PROXY.
                    trust_env=not _is_loopback(httpx.URL(self.base_url).host),
                )
            return self._client

    def _post(self, payload: dict[str, Any]) -> Any:
        import httpx

        url = self.base_url + self._endpoint
        try:
            response = self._http().post(url, json=payload)
        except httpx.ConnectError as exc:
            raise EmbeddingError(f"{self.kind} at {self.base_url} is unreachable ({exc})") from exc
        except httpx.TimeoutException as exc:
            raise EmbeddingError(
                f"{self.kind} at {self.base_url} did not answer within {self._timeout:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"{self.kind} request to {url} failed: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            detail = self._error_detail(body) or response.text[:200]
            hint = " (check MEMVAULT_EMBED_API_KEY)" if response.status_code in (401, 403) else ""
            raise EmbeddingError(
                f"{self._where} answered HTTP {response.status_code}: {detail}{hint}"
            )
        if body is None:
            raise EmbeddingError(f"{self._where} answered with something that is not JSON")
        return body


class OllamaEmbedder(_HttpEmbedder):
    """Ollama's ``POST /api/embed`` (batch input; Ollama 0.3.4 and later)."""

    kind = "ollama"

    def __init__(
        self,
        model: str,
        base_url: str = DEFAULT_OLLAMA_URL,
        *,
        dimensions: int | None = None,
        batch_size: int = 32,
        timeout: float = 120.0,  # the first call may wait for Ollama to load the model
    ) -> None:
        super().__init__(
            model, base_url, dimensions=dimensions, batch_size=batch_size, timeout=timeout
        )

    @property
    def _endpoint(self) -> str:
        return "/api/embed"

    def _parse(self, body: Any) -> Any:
        if not isinstance(body, dict) or "embeddings" not in body:
            raise EmbeddingError(f"{self._where} answered without an 'embeddings' field")
        return body["embeddings"]

    def _error_detail(self, body: Any) -> str:
        # Ollama: {"error": "model \"x\" not found, try pulling it first"}
        return str(body["error"]) if isinstance(body, dict) and "error" in body else ""


class OpenAICompatibleEmbedder(_HttpEmbedder):
    """``POST {base_url}/embeddings`` as OpenAI, vLLM, llama.cpp, LM Studio and others serve it."""

    kind = "openai"

    def __init__(
        self,
        model: str,
        base_url: str = DEFAULT_OPENAI_URL,
        *,
        api_key: str | None = None,
        dimensions: int | None = None,
        batch_size: int = 128,
        timeout: float = 60.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        super().__init__(
            model,
            base_url,
            dimensions=dimensions,
            batch_size=batch_size,
            timeout=timeout,
            headers=headers,
        )

    @property
    def _endpoint(self) -> str:
        return "/embeddings"

    def _parse(self, body: Any) -> Any:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise EmbeddingError(f"{self._where} answered without a 'data' list")
        # The API may return items out of order; 'index' says which input each belongs to.
        indexes = [item.get("index", i) for i, item in enumerate(data)]
        if sorted(indexes) != list(range(len(data))):
            raise EmbeddingError(f"{self._where} answered with inconsistent 'index' values")
        by_index = dict(zip(indexes, data, strict=True))
        return [by_index[i].get("embedding") for i in range(len(data))]

    def _error_detail(self, body: Any) -> str:
        # OpenAI: {"error": {"message": "...", "type": "..."}}; some servers send a plain string.
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return str(error.get("message", error))
        return str(error) if error else ""
