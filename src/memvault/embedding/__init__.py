"""Text to vectors, behind one interface: a bundled local model, remote servers, a test double.

Importing this package is cheap (no numpy, no onnxruntime): the CLI imports it on every start,
and only an embed call loads a model. Pick a provider with ``make_embedder("bundled")``; see
``memvault.embedding.factory`` for the spec strings.
"""

from memvault.embedding.base import Embedder, EmbeddingError
from memvault.embedding.factory import DEFAULT_SPEC, make_embedder

__all__ = ["DEFAULT_SPEC", "Embedder", "EmbeddingError", "make_embedder"]
