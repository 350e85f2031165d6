"""Retrieval metrics as pure functions, so each number in a report can be checked by hand.

Relevance is binary, as in BEIR's SciFact qrels and LoCoMo's evidence lists. A ranking is a
sequence of positions, each holding the ids of the documents found there: usually one, but
several documents with identical text are stored as one memory (the vault deduplicates), and
retrieving that memory retrieves all of them at the same rank.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

# One position of a ranking: the document ids a single hit stands for.
Ranking = Sequence[Collection[str]]


def recall_at_k(ranking: Ranking, relevant: Collection[str], k: int) -> float:
    """Share of the relevant documents found in the first ``k`` positions."""
    if not relevant:
        raise ValueError("recall needs at least one relevant document")
    found = {doc for position in ranking[:k] for doc in position if doc in relevant}
    return len(found) / len(relevant)


def reciprocal_rank(ranking: Ranking, relevant: Collection[str]) -> float:
    """1 / rank of the first position holding a relevant document; 0 when none does."""
    for rank, position in enumerate(ranking, start=1):
        if any(doc in relevant for doc in position):
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranking: Ranking, relevant: Collection[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain with binary gains, as BEIR computes it.

    A position's gain is the number of relevant documents it holds. Only tied duplicates can
    give a position more than one, which can beat the ideal ranking of distinct documents;
    the result is capped at 1 so that such ties never score above perfect.
    """
    if not relevant:
        raise ValueError("nDCG needs at least one relevant document")
    dcg = sum(
        sum(1 for doc in position if doc in relevant) / math.log2(index + 2)
        for index, position in enumerate(ranking[:k])
    )
    ideal = sum(1.0 / math.log2(index + 2) for index in range(min(len(relevant), k)))
    return min(1.0, dcg / ideal)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation, numpy's default method."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; every query counts once, whichever collection it searched."""
    if not values:
        raise ValueError("mean of no values")
    return math.fsum(values) / len(values)


def bootstrap_interval(
    values: Sequence[float], level: float = 0.95, *, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """A percentile-bootstrap confidence interval for the mean of per-query ``values``.

    Why the bootstrap and not mean ± 1.96·s/√n: per-query recall and reciprocal rank are
    bounded and lumpy (mostly 0s and 1s), where the normal interval spills past 0 and 1. The
    seed is fixed so that the same judgments always print the same interval. With one value
    there is nothing to resample and the interval is that value: the caller flags small N.
    """
    if not values:
        raise ValueError("confidence interval of no values")
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be within 0..1, got {level}")
    import numpy as np

    data = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    batch = max(1, 1_000_000 // len(data))  # at most a million draws in memory at once
    means = np.concatenate(
        [
            data[rng.integers(0, len(data), size=(min(batch, resamples - start), len(data)))].mean(
                axis=1
            )
            for start in range(0, resamples, batch)
        ]
    )
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)
