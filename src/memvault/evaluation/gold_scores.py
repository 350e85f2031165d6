"""Score a vault's search on its own gold set: what ``memvault eval --gold`` prints and gates on.

Only a person's judgments count. A result judged relevant is relevant; a result nobody judged
counts as not relevant (the pool the judge saw is every default mode's top 10, so only a
changed configuration meets unjudged results, and the report counts them, because many of
them mean the judgments no longer cover what is scored); a skipped result is left out of the
ranking, as if it had not been returned, because the judge could not tell.

A query is scored once it has at least one result judged relevant: recall and nDCG of a query
with nothing relevant are undefined. Each metric is the mean over those queries with a 95%
bootstrap interval; with fewer than ``WEAK_BELOW`` of them the report says "weak", since at
N = 10 one query moves a mean by 0.1 and the interval is about ±0.2 wide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from memvault.core.errors import InvalidInputError
from memvault.core.inputs import MAX_SEARCH_K
from memvault.core.records import SearchMode
from memvault.evaluation import metrics
from memvault.evaluation.gold import GoldSet, Verdict
from memvault.service.fusion import FusionSettings

if TYPE_CHECKING:  # the CLI reads this module's names at start-up: the service loads on use
    from memvault.service.vault import Vault

GATE_MODES = tuple(mode.value for mode in SearchMode)
DEFAULT_KS = (5, 10)
NDCG_K = 10
WEAK_BELOW = 30  # judged queries; below this the report says "weak" (see the module doc)


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean over the judged queries and its 95% bootstrap interval."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci95": [self.low, self.high]}


@dataclass(frozen=True, slots=True)
class ModeScore:
    mode: str
    queries: int  # judged queries scored
    metrics: dict[str, Estimate]  # "recall@5", …, "ndcg@10", "mrr"
    unjudged: int  # hits in the scored top results that nobody judged (counted not relevant)
    error: str | None = None  # why this mode could not run (e.g. no vectors)

    @property
    def weak(self) -> bool:
        return self.queries < WEAK_BELOW

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "queries": self.queries,
            "weak": self.weak,
            "unjudged": self.unjudged,
            "metrics": {name: est.to_dict() for name, est in self.metrics.items()},
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class GoldReport:
    gold_queries: int  # in queries.yaml
    judged: int  # of them, with at least one result judged relevant: what is scored
    model_id: str | None  # the vectors' model; None without vectors
    storage: str | None  # how they are stored (float32, int8, bit)
    fusion: FusionSettings | None  # the override hybrid ran with; None: the vault's own
    metric_names: tuple[str, ...]
    results: tuple[ModeScore, ...]

    @property
    def weak(self) -> bool:
        return self.judged < WEAK_BELOW

    def scores(self) -> dict[str, dict[str, float]]:
        """mode -> metric -> value, for the modes that ran: what a baseline holds."""
        return {
            r.mode: {name: est.value for name, est in r.metrics.items()}
            for r in self.results
            if r.error is None
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``memvault eval --gold --json`` contract (also the ``--save-baseline`` file)."""
        return {
            "gold": True,
            "gold_queries": self.gold_queries,
            "judged_queries": self.judged,
            "weak": self.weak,
            "weak_below": WEAK_BELOW,
            "unjudged_count_as": "not relevant",
            "model": self.model_id,
            "vector_storage": self.storage,
            "fusion": _fusion_dict(self.fusion),
            "metrics": list(self.metric_names),
            "results": [r.to_dict() for r in self.results],
        }


def metric_names(ks: Sequence[int]) -> tuple[str, ...]:
    return (*(f"recall@{k}" for k in ks), f"ndcg@{NDCG_K}", "mrr")


def parse_ks(text: str) -> tuple[int, ...]:
    """``"5,10"`` -> (5, 10): the recall cut-offs, sorted, each 1..MAX_SEARCH_K."""
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise InvalidInputError(f"cut-offs {text!r}: use whole numbers, e.g. 5,10") from None
    if not ks or not all(1 <= k <= MAX_SEARCH_K for k in ks):
        raise InvalidInputError(f"cut-offs {text!r}: each must be within 1..{MAX_SEARCH_K}")
    return tuple(ks)


def score_gold(
    vault: Vault,
    gold: GoldSet,
    *,
    modes: Sequence[str] = GATE_MODES,
    ks: Sequence[int] = DEFAULT_KS,
    fusion: FusionSettings | None = None,
) -> GoldReport:
    """Run every judged gold query in every mode (hybrid with ``fusion``, if given)."""
    queries = gold.queries()
    answers = gold.answers()
    relevant = gold.relevant()  # judgments of queries since removed from the file are unused
    judged = [q for q in queries if q in relevant]
    if not judged:
        raise InvalidInputError(
            "no gold query has a result judged relevant yet: run `memvault judge` first"
        )
    skipped: dict[str, set[str]] = {}
    for (query, memory_id), verdict in answers.items():
        if verdict is Verdict.SKIPPED:
            skipped.setdefault(query, set()).add(memory_id)
    names = metric_names(ks)
    depth = max(*ks, NDCG_K)
    results = []
    for mode in modes:
        per_query: dict[str, list[float]] = {name: [] for name in names}
        unjudged = 0
        try:
            for query in judged:
                left_out = skipped.get(query, set())
                hits = vault.search(
                    query,
                    k=min(depth + len(left_out), MAX_SEARCH_K),
                    mode=mode,
                    fusion=fusion if mode == SearchMode.HYBRID else None,
                )
                ranking = [h.memory.id for h in hits if h.memory.id not in left_out][:depth]
                unjudged += sum((query, memory_id) not in answers for memory_id in ranking)
                _score_query(ranking, relevant[query], ks, per_query)
        except InvalidInputError as exc:  # e.g. vector search in a vault without vectors
            results.append(ModeScore(mode, 0, {}, 0, error=str(exc)))
            continue
        results.append(ModeScore(mode, len(judged), _estimates(per_query), unjudged))
    config = vault.vector_config()
    return GoldReport(
        gold_queries=len(queries),
        judged=len(judged),
        model_id=config.model_id if config else None,
        storage=config.storage.value if config else None,
        fusion=fusion,
        metric_names=names,
        results=tuple(results),
    )


def _score_query(
    ids: list[str], relevant: set[str], ks: Sequence[int], out: dict[str, list[float]]
) -> None:
    ranking = [(memory_id,) for memory_id in ids]
    for k in ks:
        out[f"recall@{k}"].append(metrics.recall_at_k(ranking, relevant, k))
    out[f"ndcg@{NDCG_K}"].append(metrics.ndcg_at_k(ranking, relevant, NDCG_K))
    out["mrr"].append(metrics.reciprocal_rank(ranking, relevant))


def _estimates(per_query: dict[str, list[float]]) -> dict[str, Estimate]:
    out = {}
    for name, values in per_query.items():
        low, high = metrics.bootstrap_interval(values)
        out[name] = Estimate(metrics.mean(values), low, high)
    return out


def _fusion_dict(fusion: FusionSettings | None) -> dict[str, Any] | None:
    if fusion is None:
        return None
    return {key: getattr(value, "value", value) for key, value in asdict(fusion).items()}
