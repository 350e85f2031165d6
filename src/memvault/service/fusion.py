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
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from memvault.core.errors import InvalidInputError
from memvault.core.records import Memory, Signal
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
}


def parse_fusion(text: str, base: FusionSettings = DEFAULT_FUSION) -> FusionSettings:
    """``"keyword=1,vector=0"`` -> ``base`` with those fields replaced; any other field kept.

    Keys: method (zscore | rrf), keyword and vector (weights, >= 0, not both 0), rrf_k (> 0),
    depth (1..1000) and z_floor (>= 0). A person types this, so every mistake is named.
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
        number = int(value) if key == "depth" else float(value)
    except ValueError:
        raise InvalidInputError(f"fusion {key}={value!r} is not a number") from None
    low, high = {"depth": (1, 1000), "rrf_k": (1e-9, math.inf)}.get(key, (0.0, math.inf))
    if not (math.isfinite(number) and low <= number <= high):
        bound = {"depth": "within 1..1000", "rrf_k": "a finite number > 0"}.get(
            key, "a finite number >= 0"
        )
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
) -> list[Fused]:
    """One ranking from several lists of (memory id, score), each best first.

    Each result keeps every signal's own rank and score. Boosts need the ``memories``.
    """
    weights = {"keyword": settings.keyword_weight, "vector": settings.vector_weight}
    fused: dict[str, float] = {}
    merged: dict[str, dict[str, Signal]] = {}
    for name, ranked in rankings.items():
        weight = weights.get(name, 1.0)
        own = [Signal(rank=i, score=score) for i, (_, score) in enumerate(ranked, 1)]
        for (key, _), signal, value in zip(ranked, own, _contributions(own, settings), strict=True):
            fused[key] = fused.get(key, 0.0) + weight * value
            merged.setdefault(key, {})[name] = signal
    if boosts.active and memories is not None:
        moment = now or datetime.now(UTC)
        for key in fused:
            if key in memories:
                fused[key] *= _boost(memories[key], boosts, moment)
    # Ties (common with one signal) fall back to the stronger signal's order, then the id.
    order = sorted(fused, key=lambda key: (-fused[key], _best_rank(merged[key]), key))
    return [Fused(key, fused[key], dict(sorted(merged[key].items()))) for key in order[:limit]]


def _contributions(signals: list[Signal], settings: FusionSettings) -> list[float]:
    if settings.method is FusionMethod.RRF:
        return [1.0 / (settings.rrf_k + signal.rank) for signal in signals]
    scores = [signal.score for signal in signals]
    if not scores:
        return []
    mean = statistics.fmean(scores)
    spread = statistics.pstdev(scores) or 1.0
    return [max((score - mean) / spread + settings.z_floor, 0.0) for score in scores]


def _best_rank(signals: dict[str, Signal]) -> int:
    return min(signal.rank for signal in signals.values())


def _boost(memory: Memory, boosts: Boosts, now: datetime) -> float:
    factor = 1.0
    if boosts.recency_half_life_days > 0:
        age_days = max((now - parse_timestamp(memory.created_at)).total_seconds(), 0) / 86_400
        factor *= 0.5 ** (age_days / boosts.recency_half_life_days)
    factor *= 1.0 + boosts.importance * (memory.importance - 0.5)
    factor *= 1.0 + boosts.confidence * (memory.confidence - 0.5)
    return max(factor, 0.0)
