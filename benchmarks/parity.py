"""Where SQLite's and PostgreSQL's search results part, query by query (docs/scaling.md, parity).

``memvault eval --db URL`` gives the averages; this says why they differ. One BEIR collection
(SciFact by default) is indexed into a SQLite vault and into a fresh PostgreSQL schema with the
same cached document vectors, and every query is run in every mode on both. For each mode it
prints how many queries got the very same top 10 (documents in the same order), the same set,
and the largest nDCG@10 gap. For vector search it also scores each engine's top 10 against the
exact cosine top 10 over the same float32 vectors (numpy, every document): an approximate index
(SQLite's 1-bit scan + rescore, pgvector's HNSW above 5,000 rows) is the one place the engines
may legitimately return different neighbours.

    PYTHONPATH=src .venv/bin/python benchmarks/parity.py /work/shared/datasets/scifact \\
        --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import memvault
from memvault.cli.evaluate import build_embedder, default_cache_dir, progress_bar
from memvault.embedding.base import Embedder
from memvault.evaluation import datasets, metrics, runner
from memvault.evaluation.datasets import Collection

Ranking = list[tuple[str, ...]]  # per rank, the documents the memory there stands for


def rankings(
    collection: Collection, embedder: Embedder, store: str | None, modes: tuple[str, ...]
) -> dict[str, list[Ranking]]:
    """Each mode's top 10 for every query, from a fresh vault on SQLite or in ``store``."""
    found: dict[str, list[Ranking]] = {mode: [] for mode in modes}
    with runner.scratch_location(store) as location, progress_bar() as report:
        vault = memvault.open(
            location, embedder=embedder, vector_storage="float32", background=False
        )
        with vault:
            label = "postgresql" if store else "sqlite"
            docs_of = runner._index(vault, collection, label, report)
            runner._embed_all(vault, label, report)
            for query in collection.queries:
                for mode in modes:
                    hits = vault.search(query.text, k=runner.K, mode=mode)
                    found[mode].append([docs_of.get(hit.memory.id, ()) for hit in hits])
    return found


def exact_top(collection: Collection, embedder: Embedder) -> list[set[str]]:
    """The exact cosine top 10 documents of every query (ties to the lower index)."""
    docs = embedder.embed_documents([doc.content for doc in collection.documents])
    tops = []
    for query in collection.queries:
        scores = docs @ embedder.embed_query(query.text)
        order = np.argsort(-scores, kind="stable")[: runner.K]
        tops.append({collection.documents[i].id for i in order})
    return tops


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="A BEIR folder")
    parser.add_argument("--db", required=True, help="postgresql://USER@HOST/DB")
    parser.add_argument("--embedder", default="bundled")
    parser.add_argument("--modes", default="keyword,vector,hybrid")
    args = parser.parse_args()
    modes = runner.parse_choices(args.modes, runner.MODES, "search mode")
    runner.check_store_url(args.db)
    (collection,) = datasets.load(args.dataset).collections
    model = build_embedder(args.embedder, default_cache_dir())
    assert not isinstance(model, str), "parity needs vectors: pick an embedder"
    on_sqlite = rankings(collection, model, None, modes)
    on_postgres = rankings(collection, model, args.db, modes)
    exact = exact_top(collection, model) if "vector" in modes else []
    total = len(collection.queries)
    print(f"{collection.name}: {total} queries, {len(collection.documents)} documents")
    for mode in modes:
        same_order = same_set = 0
        gaps = []
        for query, lite, pg in zip(
            collection.queries, on_sqlite[mode], on_postgres[mode], strict=True
        ):
            same_order += lite == pg
            same_set += set(lite) == set(pg)
            lite_ranking = [frozenset(ids) for ids in lite]
            pg_ranking = [frozenset(ids) for ids in pg]
            gaps.append(
                metrics.ndcg_at_k(pg_ranking, query.relevant, runner.K)
                - metrics.ndcg_at_k(lite_ranking, query.relevant, runner.K)
            )
        worst = max(gaps, key=abs)
        print(
            f"{mode:8} same top 10 in order {same_order}/{total}, same set {same_set}/{total}, "
            f"queries whose nDCG@10 differs {sum(g != 0 for g in gaps)}, largest gap {worst:+.3f}, "
            f"mean gap {sum(gaps) / total:+.4f}"
        )
        if mode == "vector":
            for name, found in (("sqlite", on_sqlite[mode]), ("postgresql", on_postgres[mode])):
                overlap = [
                    len({i for ids in top for i in ids} & want) / runner.K
                    for top, want in zip(found, exact, strict=True)
                ]
                print(f"         {name}: recall@10 against exact cosine {sum(overlap) / total:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
