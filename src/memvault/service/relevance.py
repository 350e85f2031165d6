"""Whether a hit is about the query at all: one relevance number per hit, comparable across
queries, from the signals' own scores.

A search always ranks something first, so a query the vault holds nothing about still gets
confident-looking hits, and the fused score cannot tell: it is z-scored within one search. The
signals themselves can. A vector's cosine similarity to the query is on one fixed scale for
every query, and keyword evidence is the share of the query's words a hit contains (counted by
FTS5 with its own stemming). Each is mapped to 0-1 with its calibrated threshold at 0.5, and a
hit's relevance is the better of the two: below 0.5 it is ``weak``.

The thresholds were measured on development data only (LoCoMo's five dev conversations and
SciFact's train claims, on-topic queries against their own corpus and off-topic ones against
the other; ``benchmarks/calibrate_relevance.py``, numbers in docs/search.md) and kept round:
a simple rule that holds on data it was not tuned on beats a tuned one that does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from memvault.core.records import WEAK_BELOW

# Cosine of the bundled model (MiniLM) at and above which a hit is about the query.
VECTOR_THRESHOLD = 0.30
# Share of the query's words a hit must contain to count as keyword evidence on its own: all
# of them beside a vector signal, half when keywords are the only evidence there is.
KEYWORD_COVERAGE = 1.0
KEYWORD_ONLY_COVERAGE = 0.5


def vector_relevance(cosine: float, threshold: float = VECTOR_THRESHOLD) -> float:
    """0 at cosine 0 (unrelated), 0.5 at the threshold, 1 at an identical direction."""
    if cosine >= threshold:
        return min(WEAK_BELOW + (1 - WEAK_BELOW) * (cosine - threshold) / (1 - threshold), 1.0)
    return max(WEAK_BELOW * cosine / threshold, 0.0)


def keyword_relevance(matched: int, terms: int, coverage: float = KEYWORD_COVERAGE) -> float:
    """0.5 once ``matched`` of the query's ``terms`` reach the required share; 1 only past it."""
    if terms <= 0:
        return 0.0
    share = matched / terms
    if share >= coverage:
        extra = (share - coverage) / (1 - coverage) if coverage < 1 else 0.0
        return WEAK_BELOW + (1 - WEAK_BELOW) * extra
    return WEAK_BELOW * share / coverage


def relevances(
    ids: Sequence[str],
    *,
    cosines: Mapping[str, float] | None,
    cosine_ceiling: float | None,
    matched: Mapping[str, int] | None,
    terms: int,
) -> dict[str, float | None]:
    """Each id's relevance: the better of its vector and keyword evidence.

    ``cosines`` are the vector signal's scores (None: no vector search ran). A hit the vector
    signal did not return has at most ``cosine_ceiling`` (the last cosine of a full candidate
    list; None when the list held every vector, so a missing hit has no vector yet).
    ``matched`` counts the query's ``terms`` each hit contains (None: not counted). Without a
    vector signal, half the words are enough: all of them would call most good keyword hits
    weak (measured: 87 % of LoCoMo's on-topic questions), half flags 13 % of those and every
    off-topic one.
    """
    coverage = KEYWORD_COVERAGE if cosines is not None else KEYWORD_ONLY_COVERAGE
    found: dict[str, float | None] = {}
    for memory_id in ids:
        parts = []
        if cosines is not None:
            cosine = cosines.get(memory_id, cosine_ceiling)
            if cosine is not None:
                parts.append(vector_relevance(cosine))
        if matched is not None and terms:
            parts.append(keyword_relevance(matched.get(memory_id, 0), terms, coverage))
        found[memory_id] = max(parts) if parts else None
    return found
