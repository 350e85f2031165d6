"""The ranking candidates of issue 15 that were measured and dropped: docs/fusion.md says why.

* query-dependent signal weights: each signal's weight scaled by how far its best hit stands
  out (the top z-score), so a query whose keywords match nothing in particular leans on
  meaning, and one with a clear keyword hit on it;
* MMR over the stored vectors (near-identical hits pushed down), and plain near-duplicate
  removal above a cosine threshold;
* weights by query length, for long queries such as "the dialogue so far". Measured on a set
  built from LoCoMo conversations 1-5 for this purpose only ("dialogue windows"): each query
  is six consecutive turns, the memories are the conversation's observation facts (LLM-written
  summaries the dataset ships), relevant = the facts drawn from those six turns.

Each is applied to the same keyword and vector candidate lists that hybrid search fuses
(fetched once per query through a real vault: ``tune_fusion.candidate_lists``), against the
default fusion of those lists.

    .venv/bin/python benchmarks/fusion_candidates.py [--datasets DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from tune_fusion import Lists, candidate_lists

from memvault.core.records import SearchHit
from memvault.embedding.cache import CachedEmbedder
from memvault.embedding.factory import make_embedder
from memvault.evaluation import datasets, metrics
from memvault.service.fusion import DEFAULT_FUSION, fuse_rankings

Ranker = Callable[[dict[str, list[SearchHit]], str], list[str]]
Scored = list[tuple[dict[str, list[SearchHit]], str, frozenset[str], dict[str, tuple[str, ...]]]]


def fused(signals: dict[str, list[SearchHit]]) -> list[tuple[str, float]]:
    lists = {name: [(h.memory.id, h.score) for h in hits] for name, hits in signals.items()}
    return [(f.memory_id, f.score) for f in fuse_rankings(lists, DEFAULT_FUSION, limit=100)]


def default(signals: dict[str, list[SearchHit]], _query: str) -> list[str]:
    return [key for key, _ in fused(signals)]


def confidence_weighted(power: float) -> Ranker:
    def rank(signals: dict[str, list[SearchHit]], _query: str) -> list[str]:
        base = {"keyword": DEFAULT_FUSION.keyword_weight, "vector": DEFAULT_FUSION.vector_weight}
        parts: dict[str, dict[str, float]] = {}
        confidence: dict[str, float] = {}
        for name, hits in signals.items():
            scores = [h.score for h in hits]
            if not scores:
                continue
            mean = sum(scores) / len(scores)
            spread = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores)) or 1.0
            parts[name] = {
                h.memory.id: max((h.score - mean) / spread + DEFAULT_FUSION.z_floor, 0.0)
                for h in hits
            }
            confidence[name] = max((scores[0] - mean) / spread, 1e-6) ** power
        total = sum(base[n] * confidence[n] for n in parts) or 1.0
        out: dict[str, float] = {}
        for name, contributions in parts.items():
            weight = base[name] * confidence[name] / total
            for key, value in contributions.items():
                out[key] = out.get(key, 0.0) + weight * value
        return sorted(out, key=lambda key: -out[key])

    return rank


def diversified(embedder: CachedEmbedder, lam: float | None, threshold: float | None) -> Ranker:
    def rank(signals: dict[str, list[SearchHit]], _query: str) -> list[str]:
        ranked = fused(signals)
        text = {h.memory.id: h.memory.content for hits in signals.values() for h in hits}
        head, rest = ranked[:30], [key for key, _ in ranked[30:]]
        vectors = embedder.embed_documents([text[key] for key, _ in head])
        top = max((score for _, score in head), default=1.0) or 1.0
        relevance = [score / top for _, score in head]
        chosen: list[int] = []
        left = list(range(len(head)))
        while left:

            def value(i: int) -> float:
                similar = max((float(np.dot(vectors[i], vectors[j])) for j in chosen), default=0.0)
                if threshold is not None:
                    return relevance[i] - (1.0 if similar > threshold else 0.0)
                assert lam is not None
                return lam * relevance[i] - (1 - lam) * similar

            best = max(left, key=value)
            chosen.append(best)
            left.remove(best)
        return [head[i][0] for i in chosen] + rest

    return rank


def by_length(long_words: int, keyword_weight: float) -> Ranker:
    """Another keyword weight for queries longer than ``long_words`` words."""
    long = replace(DEFAULT_FUSION, keyword_weight=keyword_weight, vector_weight=1 - keyword_weight)

    def rank(signals: dict[str, list[SearchHit]], query: str) -> list[str]:
        settings = long if len(query.split()) > long_words else DEFAULT_FUSION
        lists = {n: [(h.memory.id, h.score) for h in hits] for n, hits in signals.items()}
        return [f.memory_id for f in fuse_rankings(lists, settings, limit=100)]

    return rank


def dialogue_windows(root: Path) -> datasets.Dataset:
    samples = json.loads((root / "locomo" / "locomo-dev5.json").read_text("utf-8"))
    collections = []
    for sample in samples:
        facts: list[datasets.Document] = []
        from_turn: dict[str, set[str]] = {}
        for per_speaker in sample["observation"].values():
            for said in per_speaker.values():
                for text, turns in said:
                    fact = datasets.Document(f"O{len(facts)}", text)
                    facts.append(fact)
                    for turn in re.split(r"[;,\s]+", str(turns)):
                        from_turn.setdefault(turn, set()).add(fact.id)
        conversation = sample["conversation"]
        sessions = sorted(
            (int(key.split("_")[1]), value)
            for key, value in conversation.items()
            if re.fullmatch(r"session_\d+", key)
        )
        turns = [turn for _, said in sessions for turn in said]
        queries = []
        for start in range(0, len(turns) - 5, 6):
            window = turns[start : start + 6]
            relevant = set().union(*(from_turn.get(t["dia_id"], set()) for t in window))
            if relevant:
                text = "\n".join(datasets.locomo_turn_text(t) for t in window)
                queries.append(datasets.Query(f"w{start}", text, frozenset(relevant)))
        name = str(sample["sample_id"])
        collections.append(datasets.Collection(name, tuple(facts), tuple(queries)))
    return datasets.Dataset("dialogue-windows", "locomo", tuple(collections))


def with_queries(data: datasets.Dataset, embedder: CachedEmbedder) -> Scored:
    """``candidate_lists`` (same order as the queries) with each query's text."""
    texts = [query.text for collection in data.collections for query in collection.queries]
    lists: Lists = candidate_lists(data, embedder)
    return [(sig, text, rel, docs) for (sig, rel, docs), text in zip(lists, texts, strict=True)]


def score(lists: Scored, rank: Ranker) -> str:
    ndcg, r5 = [], []
    for signals, query, relevant, docs_of in lists:
        ranking = [frozenset(docs_of[key]) for key in rank(signals, query)[:10]]
        ndcg.append(metrics.ndcg_at_k(ranking, relevant, 10))
        r5.append(metrics.recall_at_k(ranking, relevant, 5))
    return f"{metrics.mean(ndcg):.3f} / {metrics.mean(r5):.3f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default=str(Path(__file__).parents[2] / "shared/datasets"))
    args = parser.parse_args()
    root = Path(args.datasets)
    cache = os.environ.get("MEMVAULT_CACHE", "~/.cache/memvault/embeddings")
    embedder = CachedEmbedder(make_embedder("bundled"), cache)
    sets = {
        "scifact-train (dev)": datasets.load(root / "scifact", split="train"),
        "locomo 1-5": datasets.load(root / "locomo" / "locomo-dev5.json"),
        "dialogue windows": dialogue_windows(root),
    }
    lists = {name: with_queries(data, embedder) for name, data in sets.items()}
    rows: list[tuple[str, Ranker]] = [
        ("default fusion", default),
        ("signal weight x top z-score ^ 0.5", confidence_weighted(0.5)),
        ("signal weight x top z-score ^ 1", confidence_weighted(1.0)),
        ("signal weight x top z-score ^ 2", confidence_weighted(2.0)),
        ("MMR lambda 0.7", diversified(embedder, 0.7, None)),
        ("MMR lambda 0.85", diversified(embedder, 0.85, None)),
        ("near-duplicates (cosine > 0.95) pushed down", diversified(embedder, None, 0.95)),
        ("queries over 40 words: keyword 0.7", by_length(40, 0.7)),
        ("queries over 40 words: keyword 0.4", by_length(40, 0.4)),
    ]
    print("| nDCG@10 / R@5 | " + " | ".join(sets) + " |")
    print("|---" * (len(sets) + 1) + "|")
    for label, rank in rows:
        print(f"| {label} | " + " | ".join(score(lists[n], rank) for n in sets) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
