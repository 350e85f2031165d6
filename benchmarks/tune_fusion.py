"""Choose the hybrid fusion settings on development data, then show them on the test data.

Development data is SciFact's *train* split (809 claims; the acceptance numbers use the 300
*test* claims, which are never looked at while choosing). Settings are ranked by the mean of
nDCG@10 and recall@5 on the development data: the two measures the product is judged on.
For every query the keyword and vector candidate lists are fetched once through a real vault;
each candidate setting is then fused offline with ``service.fusion.fuse_rankings``, exactly the
function search uses.

    .venv/bin/python benchmarks/tune_fusion.py [--datasets DIR]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
from pathlib import Path

import memvault
from memvault.core.records import MemoryDraft, SearchHit
from memvault.embedding.cache import CachedEmbedder
from memvault.embedding.factory import make_embedder
from memvault.evaluation import datasets, metrics
from memvault.service.fusion import FusionMethod, FusionSettings, fuse_rankings

DEPTH = 100
Lists = list[tuple[dict[str, list[SearchHit]], frozenset[str], dict[str, tuple[str, ...]]]]


def candidate_lists(dataset: datasets.Dataset, embedder: CachedEmbedder) -> Lists:
    out: Lists = []
    for collection in dataset.collections:
        with tempfile.TemporaryDirectory() as folder:
            vault = memvault.open(Path(folder) / "t.db", embedder=embedder, background=False)
            with vault:
                docs_of: dict[str, list[str]] = {}
                for start in range(0, len(collection.documents), 500):
                    batch = collection.documents[start : start + 500]
                    drafts = [MemoryDraft(content=d.content, source=d.id) for d in batch]
                    for doc, outcome in zip(batch, vault.remember_many(drafts), strict=True):
                        docs_of.setdefault(outcome.id, []).append(doc.id)
                vault.wait_for_jobs()
                frozen = {k: tuple(v) for k, v in docs_of.items()}
                for query in collection.queries:
                    signals = {
                        mode: vault.search(query.text, k=DEPTH, mode=mode)
                        for mode in ("keyword", "vector")
                    }
                    out.append((signals, query.relevant, frozen))
    return out


def score(
    lists: Lists, settings: FusionSettings | None, only: str | None = None
) -> dict[str, float]:
    ndcg, r5 = [], []
    for signals, relevant, docs_of in lists:
        if only is not None:
            ids = [h.memory.id for h in signals[only][:10]]
        else:
            assert settings is not None
            cut = {
                name: [(h.memory.id, h.score) for h in hits[: settings.depth]]
                for name, hits in signals.items()
            }
            ids = [f.memory_id for f in fuse_rankings(cut, settings, limit=10)]
        ranking = [frozenset(docs_of[i]) for i in ids]
        ndcg.append(metrics.ndcg_at_k(ranking, relevant, 10))
        r5.append(metrics.recall_at_k(ranking, relevant, 5))
    return {"ndcg@10": metrics.mean(ndcg), "recall@5": metrics.mean(r5)}


def _objective(scores: dict[str, float]) -> float:
    return (scores["ndcg@10"] + scores["recall@5"]) / 2


def _cell(scores: dict[str, float]) -> str:
    return f"{scores['ndcg@10']:.4f} / {scores['recall@5']:.4f}"


def _label(s: FusionSettings) -> str:
    if s.method is FusionMethod.RRF:
        return f"rrf vector_weight={s.vector_weight} k={s.rrf_k:g} depth={s.depth}"
    return f"zscore keyword={s.keyword_weight:.1f} vector={s.vector_weight:.1f} depth={s.depth}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default=str(Path(__file__).parents[2] / "shared/datasets"))
    parser.add_argument("--only", help="a dataset name prefix, for a quick look (no tuning)")
    args = parser.parse_args()
    root = Path(args.datasets)
    cache = os.environ.get("MEMVAULT_CACHE", "~/.cache/memvault/embeddings")
    embedder = CachedEmbedder(make_embedder("bundled"), cache)
    sets = {
        "scifact-train (dev)": datasets.load(root / "scifact", split="train"),
        "scifact-test": datasets.load(root / "scifact", split="test"),
        "locomo-1-5": datasets.load(root / "locomo" / "locomo-dev5.json"),
    }
    if args.only:
        sets = {k: v for k, v in sets.items() if k.startswith(args.only)}
    lists = {}
    for name, data in sets.items():
        print(f"fetching candidates: {name}", file=sys.stderr)
        lists[name] = candidate_lists(data, embedder)
    grid = [
        FusionSettings(FusionMethod.RRF, keyword_weight=1.0, vector_weight=w, rrf_k=k, depth=d)
        for w, k, d in itertools.product(
            (0.3, 0.5, 0.7, 0.8, 1.0), (1, 3, 5, 10, 20, 60), (20, 50, 100)
        )
    ] + [
        FusionSettings(FusionMethod.ZSCORE, keyword_weight=1 - a, vector_weight=a, depth=d)
        for a, d in itertools.product((0.2, 0.3, 0.4, 0.5, 0.6), (20, 50, 100))
    ]
    dev = "scifact-train (dev)" if "scifact-train (dev)" in sets else next(iter(sets))
    ranked = sorted(grid, key=lambda s: -_objective(score(lists[dev], s)))
    print("| setting (nDCG@10 / R@5) | " + " | ".join(sets) + " |")
    print("|---" * (len(sets) + 1) + "|")
    for name in ("keyword", "vector"):
        cells = [_cell(score(lists[d], None, only=name)) for d in sets]
        print(f"| {name} only | " + " | ".join(cells) + " |")
    for setting in ranked[:10]:
        cells = [_cell(score(lists[d], setting)) for d in sets]
        print(f"| {_label(setting)} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
