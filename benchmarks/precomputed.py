"""An ``Embedder`` that returns vectors computed in advance, so benchmarks time the vault only.

Documents and queries are looked up by their exact text; an unknown text is a bug in the
benchmark, so it raises instead of inventing a vector.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]


class PrecomputedEmbedder:
    def __init__(
        self,
        documents: Sequence[str],
        document_vectors: Matrix,
        queries: Sequence[str],
        query_vectors: Matrix,
        *,
        model_id: str = "bench-precomputed",
    ) -> None:
        self._documents = {text: row for row, text in enumerate(documents)}
        self._document_vectors = document_vectors
        self._queries = {text: row for row, text in enumerate(queries)}
        self._query_vectors = query_vectors
        self._model_id = f"{model_id}-{document_vectors.shape[1]}"

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimensions(self) -> int:
        return int(self._document_vectors.shape[1])

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        rows = [self._documents[text] for text in texts]
        out: Matrix = self._document_vectors[rows]
        return out

    def embed_query(self, text: str) -> Matrix:
        out: Matrix = self._query_vectors[self._queries[text]]
        return out
