"""A deterministic feature-hashing embedder, for fast unit tests only.

It captures word overlap and nothing else: no synonyms, no meaning. It exists so that tests of
storage, search fusion and the job queue can run with real vectors in microseconds, without
loading a model. Never use it to judge retrieval quality or ship it as a user's default.

Every word token (lower-cased ``\\w+``) is hashed with blake2b, which, unlike ``hash()``, is the
same in every process, into one of ``dimensions`` buckets with a sign bit; the counts are then
L2-normalised. Texts with no word at all get the zero vector.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from memvault.embedding.base import EmbeddingError

if TYPE_CHECKING:
    from memvault.embedding.base import Vectors

_WORD = re.compile(r"\w+")


class HashEmbedder:
    """Bag-of-words vectors by feature hashing; same text, same vector, in every process."""

    def __init__(self, dimensions: int = 384) -> None:
        if not 1 <= dimensions <= 8192:
            raise EmbeddingError(f"hash embedder dimensions must be 1..8192, got {dimensions}")
        self._dimensions = dimensions

    @property
    def model_id(self) -> str:
        return f"hash-{self._dimensions}"

    @property
    def dimensions(self) -> int:
        return self._dimensions

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        from memvault.embedding.vectors import check_texts, normalise_rows

        check_texts(texts, self.model_id)
        out = np.zeros((len(texts), self._dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest())
                sign = 1.0 if digest & 1 else -1.0
                out[row, (digest >> 1) % self._dimensions] += sign
        return normalise_rows(out)

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self.embed_documents([text])[0]
        return vector
