"""Hybrid ranking: fusing keyword and vector hit lists into one.

Plain reciprocal-rank fusion with equal weights lets the weaker signal drag the stronger one
down (measured here: below BM25 alone on some LoCoMo conversations), and ranks alone throw away
how far ahead a hit is. The default is therefore score fusion: each signal's scores over its
own candidates become z-scores (so BM25's open scale and cosine's narrow one are comparable),
each is weighted, and a hit missing from a signal gets nothing from it. Weighted RRF remains
available. The method and the numbers below were chosen on development data only (SciFact's
*train* claims, ``benchmarks/tune_fusion.py``), then frozen: no per-dataset tuning. See
docs/benchmarks.md for the grid and the test-set results.

Optional boosts for recency, importance and confidence multiply the fused score; all are off by
default, and evaluation runs without them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from memvault.core.errors import InvalidInputError
from memvault.core.records import Memory, Signal
from memvault.core.time_expressions import TimeWindow
from memvault.core.times import parse_timestamp


class FusionMethod(StrEnum):
    ZSCORE = "zscore"  # weighted sum of per-signal z-scores
    RRF = "rrf"  # weighted reciprocal-rank fusion


@dataclass(frozen=True, slots=True)
class FusionSettings:
    method: FusionMethod = FusionMethod.ZSCORE
    keyword_weight: float = 0.6
    vector_weight: float = 0.4
    rrf_k: float = 60.0  # RRF only
    depth: int = 100  # candidates taken from each signal before fusing
    z_floor: float = 3.0  # z-scores are shifted by this and clipped at 0: a hit a signal
    # did not return counts as if it were this many deviations below that signal's mean
    # Adjacent turns (service/adjacent.py): a message within `adjacent_span` positions of one
    # of the `adjacent_top` best hits scores that hit's score times decay ** distance; a decay
    # of 0 turns it off. Chosen on LoCoMo conversations 26 and 30, checked on 41-43.
    # A query naming a date ("in May 2023": core/time_expressions.py) multiplies the score of
    # each memory created inside that window by 1 + time_boost; 0 turns it off. Chosen on
    # LoCoMo conversations 26 and 30, checked on 41-43 (docs/fusion.md).
    time_boost: float = 1.0
    # Entity overlap (issue 20): a hit naming k of the query's n entities (content/entities.py:
    # names, identifiers, paths…) has its score multiplied by 1 + entity_boost * k / n; 0 is
    # off. Measured on LoCoMo conversations 26 and 30, checked on 41-43 (docs/fusion.md).
    entity_boost: float = 0.0
    adjacent_decay: float = 0.8
    adjacent_span: int = 2
    adjacent_top: int = 10


@dataclass(frozen=True, slots=True)
class Boosts:
    """Multipliers on the fused score; 0 (the default) turns each one off."""

    recency_half_life_days: float = 0.0  # a memory this old counts half as much as a new one
    importance: float = 0.0  # weight of (importance - 0.5)
    confidence: float = 0.0  # weight of (confidence - 0.5)

    @property
    def active(self) -> bool:
        return bool(self.recency_half_life_days or self.importance or self.confidence)


DEFAULT_FUSION = FusionSettings()
NO_BOOSTS = Boosts()
# The names ``parse_fusion`` takes, for the fields they set.
FUSION_KEYS = {
    "method": "method",
    "keyword": "keyword_weight",
    "vector": "vector_weight",
    "rrf_k": "rrf_k",
    "depth": "depth",
    "z_floor": "z_floor",
    "time": "time_boost",
    "entity": "entity_boost",
    "adjacent": "adjacent_decay",
    "adjacent_span": "adjacent_span",
    "adjacent_top": "adjacent_top",
}
_INTEGER_KEYS = ("depth", "adjacent_span", "adjacent_top")


def parse_fusion(text: str, base: FusionSettings = DEFAULT_FUSION) -> FusionSettings:
    """``"keyword=1,vector=0"`` -> ``base`` with those fields replaced; any other field kept.

    Keys: method (zscore | rrf), keyword and vector (weights, >= 0, not both 0), rrf_k (> 0),
    depth (1..1000), z_floor (>= 0), time (the date-window boost, >= 0), adjacent (the decay
    lent to adjacent turns, 0..1; 0 is off), adjacent_span and adjacent_top (0..1000). A
    person types this, so every mistake is named.
    """
    changes: dict[str, object] = {}
    for part in (p.strip() for p in text.split(",")):
        key, sep, value = (s.strip() for s in part.partition("="))
        if not sep or key.lower() not in FUSION_KEYS or not value:
            raise InvalidInputError(
                f"fusion setting {part!r}: use KEY=VALUE with KEY one of {', '.join(FUSION_KEYS)}"
            )
        changes[FUSION_KEYS[key.lower()]] = _fusion_value(key.lower(), value)
    settings = replace(base, **changes)  # type: ignore[arg-type]
    if settings.keyword_weight == 0 and settings.vector_weight == 0:
        raise InvalidInputError("fusion weights keyword and vector cannot both be 0")
    return settings


def _fusion_value(key: str, value: str) -> object:
    if key == "method":
        try:
            return FusionMethod(value.lower())
        except ValueError:
            raise InvalidInputError(f"fusion method {value!r}: use zscore or rrf") from None
    try:
        number = int(value) if key in _INTEGER_KEYS else float(value)
    except ValueError:
        raise InvalidInputError(f"fusion {key}={value!r} is not a number") from None
    ranges = {
        "depth": (1, 1000),
        "rrf_k": (1e-9, math.inf),
        "adjacent": (0.0, 1.0),
        "adjacent_span": (0, 1000),
        "adjacent_top": (0, 1000),
    }
    low, high = ranges.get(key, (0.0, math.inf))
    if not (math.isfinite(number) and low <= number <= high):
        bound = {
            "depth": "within 1..1000",
            "rrf_k": "a finite number > 0",
            "adjacent": "within 0..1",
            "adjacent_span": "within 0..1000",
            "adjacent_top": "within 0..1000",
        }.get(key, "a finite number >= 0")
        raise InvalidInputError(f"fusion {key} must be {bound}, got {value}")
    return number


@dataclass(frozen=True, slots=True)
class Fused:
    memory_id: str
    score: float
    signals: dict[str, Signal]


def fuse_rankings(
    rankings: Mapping[str, Sequence[tuple[str, float]]],
    settings: FusionSettings = DEFAULT_FUSION,
    *,
    limit: int,
    boosts: Boosts = NO_BOOSTS,
    memories: Mapping[str, Memory] | None = None,
    now: datetime | None = None,
    window: TimeWindow | None = None,
    entities: Mapping[str, float] | None = None,
) -> list[Fused]:
    """One ranking from several lists of (memory id, score), each best first.

    Each result keeps every signal's own rank and score. Boosts and the time ``window`` a
    query names need the ``memories``; ``entities`` is each candidate's share of the query's
    entities (0-1), for ``entity_boost``.
    Plain floats and dicts on the way (a hit's ``Signal`` records are made only for the
    ``limit`` returned): fusion runs on every hybrid search over a few hundred candidates.
    """
    weights = {"keyword": settings.keyword_weight, "vector": settings.vector_weight}
    fused: dict[str, float] = {}
    best_rank: dict[str, int] = {}
    for name, ranked in rankings.items():
        weight = weights.get(name, 1.0)
        for rank, ((key, _), value) in enumerate(
            zip(ranked, _contributions(ranked, settings), strict=True), 1
        ):
            fused[key] = fused.get(key, 0.0) + weight * value
            if rank < best_rank.get(key, rank + 1):
                best_rank[key] = rank
    if boosts.active and memories is not None:
        moment = now or datetime.now(UTC)
        for key in fused:
            if key in memories:
                fused[key] *= _boost(memories[key], boosts, moment)
    if window is not None and settings.time_boost > 0 and memories is not None:
        for key in fused:
            memory = memories.get(key)
            if memory is not None and window.contains(parse_timestamp(memory.created_at)):
                fused[key] *= 1.0 + settings.time_boost
    if entities and settings.entity_boost > 0:
        for key, share in entities.items():
            if key in fused:
                fused[key] *= 1.0 + settings.entity_boost * share
    # Ties (common with one signal) fall back to the stronger signal's order, then the id.
    order = sorted(fused, key=lambda key: (-fused[key], best_rank[key], key))[:limit]
    signals = _signals(rankings, set(order))
    return [Fused(key, fused[key], signals[key]) for key in order]


def _signals(
    rankings: Mapping[str, Sequence[tuple[str, float]]], keep: set[str]
) -> dict[str, dict[str, Signal]]:
    """Each kept hit's rank and score in every signal that returned it, by signal name."""
    found: dict[str, dict[str, Signal]] = {key: {} for key in keep}
    for name in sorted(rankings):
        for rank, (key, score) in enumerate(rankings[name], 1):
            if key in found:
                found[key][name] = Signal(rank=rank, score=score)
    return found


def _contributions(ranked: Sequence[tuple[str, float]], settings: FusionSettings) -> list[float]:
    if settings.method is FusionMethod.RRF:
        return [1.0 / (settings.rrf_k + rank) for rank in range(1, len(ranked) + 1)]
    if not ranked:
        return []
    scores = [score for _, score in ranked]
    mean = math.fsum(scores) / len(scores)
    # The population deviation with floats: statistics.pstdev's exact fractions cost 10x.
    spread = math.sqrt(math.fsum((s - mean) ** 2 for s in scores) / len(scores))
    spread = spread or 1.0
    floor = settings.z_floor
    return [max((score - mean) / spread + floor, 0.0) for score in scores]


def _boost(memory: Memory, boosts: Boosts, now: datetime) -> float:
    factor = 1.0
    if boosts.recency_half_life_days > 0:
        age_days = max((now - parse_timestamp(memory.created_at)).total_seconds(), 0) / 86_400
        factor *= 0.5 ** (age_days / boosts.recency_half_life_days)
    factor *= 1.0 + boosts.importance * (memory.importance - 0.5)
    factor *= 1.0 + boosts.confidence * (memory.confidence - 0.5)
    return max(factor, 0.0)
