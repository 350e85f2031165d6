"""Embedders for worker processes: the hash embedder's vectors, with a record of what was embedded.

``LoggingEmbedder`` reports the same ``model_id`` as ``HashEmbedder`` (its vectors are exactly
the hash embedder's), so a vault it wrote can be reopened with the default test embedder.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from memvault.embedding.hashing import HashEmbedder


class LoggingEmbedder:
    def __init__(self, log: Path, *, sleep_per_batch: float = 0.0, announce: bool = False) -> None:
        self._inner = HashEmbedder(384)
        self._log = log
        self._sleep = sleep_per_batch
        self._announce = announce

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimensions(self) -> int:
        return self._inner.dimensions

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        with self._log.open("a", encoding="utf-8") as log:
            log.writelines(f"{text}\n" for text in texts)
        if self._announce:  # the batch's jobs are claimed and held from here on
            print(f"embedding {len(texts)}", flush=True)
        time.sleep(self._sleep)
        return self._inner.embed_documents(texts)

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        return self._inner.embed_query(text)
