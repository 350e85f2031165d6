"""Hybrid ranking: fusing keyword and vector hit lists into one.

Plain reciprocal-rank fusion with equal weights lets the weaker signal drag the stronger one
down (measured here: below BM25 alone on some LoCoMo conversations). So each signal has a
weight, and the settings below were chosen on development data only (SciFact's *train* queries,
see docs/benchmarks.md), then frozen: no per-dataset tuning.

Optional boosts for recency, importance and confidence multiply the fused score; all are off by
default, and evaluation runs without them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from memvault.ids import parse_timestamp
from memvault.models import SearchHit, Signal


@dataclass(frozen=True, slots=True)
class FusionSettings:
    keyword_weight: float = 1.0
    vector_weight: float = 0.5
    rrf_k: float = 60.0
    depth: int = 50  # candidates taken from each signal before fusing


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


def fuse(
    signals: dict[str, list[SearchHit]],
    settings: FusionSettings = DEFAULT_FUSION,
    *,
    limit: int,
    boosts: Boosts = NO_BOOSTS,
    now: datetime | None = None,
) -> list[SearchHit]:
    """Weighted reciprocal-rank fusion; each hit keeps every signal's own rank and score."""
    weights = {"keyword": settings.keyword_weight, "vector": settings.vector_weight}
    fused: dict[str, float] = {}
    seen: dict[str, SearchHit] = {}
    merged: dict[str, dict[str, Signal]] = {}
    for name, hits in signals.items():
        weight = weights.get(name, 1.0)
        for hit in hits:
            signal = hit.signals.get(name) or Signal(rank=0, score=hit.score)
            key = hit.memory.id
            fused[key] = fused.get(key, 0.0) + weight / (settings.rrf_k + signal.rank)
            seen.setdefault(key, hit)
            merged.setdefault(key, {})[name] = signal
    if boosts.active:
        moment = now or datetime.now(UTC)
        for key, hit in seen.items():
            fused[key] *= _boost(hit, boosts, moment)
    # Ties (common with one signal) fall back to the stronger signal's order, then the id.
    order = sorted(fused, key=lambda key: (-fused[key], _best_rank(merged[key]), key))
    return [
        replace(seen[key], score=fused[key], signals=dict(sorted(merged[key].items())))
        for key in order[:limit]
    ]


def _best_rank(signals: dict[str, Signal]) -> int:
    return min(signal.rank for signal in signals.values())


def _boost(hit: SearchHit, boosts: Boosts, now: datetime) -> float:
    factor = 1.0
    memory = hit.memory
    if boosts.recency_half_life_days > 0:
        age_days = max((now - parse_timestamp(memory.created_at)).total_seconds(), 0) / 86_400
        factor *= 0.5 ** (age_days / boosts.recency_half_life_days)
    factor *= 1.0 + boosts.importance * (memory.importance - 0.5)
    factor *= 1.0 + boosts.confidence * (memory.confidence - 0.5)
    return max(factor, 0.0)
