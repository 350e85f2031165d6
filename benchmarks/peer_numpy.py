"""The floor for vector search: the vectors in a numpy array and nothing else.

``exact``: the float32 dot product with every vector and the top ``k`` of it (the truth that
recall is measured against, and what "no index at all" costs). ``one_bit``: the algorithm
memvault's ``VectorIndex`` runs, in bare numpy: Hamming distance between the query's sign bits
and every vector's (packed in 64-bit words, column-major), a candidate pool of the nearest
``max(POOL, 2k)`` (every row within the distance threshold that admits that many), the pool
rescored with float32 dot products, top ``k``. What memvault adds on top (a lock, live flags,
pk-to-id mapping, hydration of the hits) is the difference the ratio shows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
Rows = npt.NDArray[np.intp]

POOL = 400  # memvault.storage.sqlite.vector_index._MIN_POOL: the same candidate pool


class NumpyFloor:
    def __init__(self, vectors: Matrix) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        bits = np.packbits(self.vectors > 0, axis=1, bitorder="little")
        words = (bits.shape[1] + 7) // 8
        padded = np.zeros((len(bits), words * 8), dtype=np.uint8)
        padded[:, : bits.shape[1]] = bits
        self.codes = np.ascontiguousarray(padded.view(np.uint64).T)  # (words, n)

    def exact(self, query: Matrix, k: int) -> Rows:
        # einsum, as memvault rescores: ``@`` is a BLAS call that may start threads
        scores = np.einsum("ij,j->i", self.vectors, query)
        return _top(scores, k)

    def one_bit(self, query: Matrix, k: int) -> Rows:
        bits = np.packbits(query > 0, bitorder="little")
        padded = np.zeros(self.codes.shape[0] * 8, dtype=np.uint8)
        padded[: len(bits)] = bits
        words = padded.view(np.uint64)
        distance = np.bitwise_count(self.codes[0] ^ words[0]).astype(np.uint16)
        for w in range(1, len(words)):
            distance += np.bitwise_count(self.codes[w] ^ words[w])
        pool = _pool(distance, max(POOL, 2 * k))
        scores = np.einsum("ij,j->i", self.vectors[pool], query)
        return pool[_top(scores, k)]


def _pool(distance: npt.NDArray[np.uint16], size: int) -> Rows:
    """Rows within the smallest Hamming distance that admits ``size`` of them."""
    if len(distance) <= size:
        return np.arange(len(distance))
    threshold = int(np.searchsorted(np.cumsum(np.bincount(distance)), size))
    return np.flatnonzero(distance <= threshold)


def _top(scores: Matrix, k: int) -> Rows:
    if len(scores) <= k:
        return np.argsort(-scores, kind="stable")
    top = np.argpartition(-scores, k)[:k]
    best: Rows = top[np.argsort(-scores[top], kind="stable")]
    return best
