"""Where SQLite's and PostgreSQL's search results part, query by query (docs/scaling.md, parity).

``memvault eval --db URL`` gives the averages; this says why they differ. One BEIR collection
(SciFact by default) is indexed into a SQLite vault and into a fresh PostgreSQL schema with the
same cached document vectors, and every query is run in every mode on both. For each mode it
prints how many queries got the very same top 10 (documents in the same order), the same set,
and the largest nDCG@10 gap; for keyword and vector search also how alike their top 100 are
(the candidates hybrid search fuses). For vector search it scores each engine's top 10 and top
100 against the exact cosine ones over the same float32 vectors (numpy, every document): an
approximate index (SQLite's 1-bit scan + rescore, pgvector's HNSW above 5,000 rows) is one place
the engines may legitimately part. Last, what ``bit`` storage's two scorings cost, exactly.

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
DEPTH = 100  # the candidates hybrid search takes from each signal (FusionSettings.depth)


def rankings(
    collection: Collection, embedder: Embedder, store: str | None, modes: tuple[str, ...]
) -> dict[str, list[Ranking]]:
    """Each mode's top 10 for every query, from a fresh vault on SQLite or in ``store``."""
    found: dict[str, list[Ranking]] = {mode: [] for mode in modes}
    deep = [mode for mode in modes if mode != "hybrid"]
    found.update({f"{mode}@{DEPTH}": [] for mode in deep})
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
                for mode in deep:  # what hybrid fuses: z-scores over all of these
                    hits = vault.search(query.text, k=DEPTH, mode=mode)
                    found[f"{mode}@{DEPTH}"].append([docs_of.get(h.memory.id, ()) for h in hits])
    return found


def _flat(ranking: Ranking) -> set[str]:
    return {doc for ids in ranking for doc in ids}


def _share(ranking: Ranking, wanted: set[str], depth: int) -> float:
    """The share of ``wanted`` (``depth`` documents) that ``ranking`` holds too."""
    return len(_flat(ranking) & wanted) / depth


def exact_top(collection: Collection, embedder: Embedder, depth: int) -> list[set[str]]:
    """The exact cosine top ``depth`` documents of every query (ties to the lower index)."""
    docs = embedder.embed_documents([doc.content for doc in collection.documents])
    tops = []
    for query in collection.queries:
        scores = docs @ embedder.embed_query(query.text)
        order = np.argsort(-scores, kind="stable")[:depth]
        tops.append({collection.documents[i].id for i in order})
    return tops


def bit_scorings(collection: Collection, embedder: Embedder) -> dict[str, float]:
    """nDCG@10 of exact search over the sign bits of the same vectors, scored two ways: the
    full-precision query against the ±1 codes (SQLite's in-process index rescores so), and the
    Hamming distance between the query's signs and the codes (pgvector's ``bit`` search, and
    SQLite's SQL path). What ``--storage bit`` costs each engine, without either engine."""
    docs = embedder.embed_documents([doc.content for doc in collection.documents])
    signs = np.where(docs > 0, 1.0, -1.0).astype(np.float32)
    found: dict[str, list[float]] = {"query x codes": [], "hamming": []}
    for query in collection.queries:
        vector = embedder.embed_query(query.text)
        for name, scores in (
            ("query x codes", signs @ vector),
            ("hamming", signs @ np.where(vector > 0, 1.0, -1.0)),
        ):
            order = np.argsort(-scores, kind="stable")[: runner.K]
            ranking = [frozenset([collection.documents[i].id]) for i in order]
            found[name].append(metrics.ndcg_at_k(ranking, query.relevant, runner.K))
    return {name: metrics.mean(values) for name, values in found.items()}


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
    exact = {depth: exact_top(collection, model, depth) for depth in (runner.K, DEPTH)}
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
        if mode != "hybrid":
            pairs = zip(on_sqlite[f"{mode}@{DEPTH}"], on_postgres[f"{mode}@{DEPTH}"], strict=True)
            alike = [(lite == pg, _share(lite, _flat(pg), DEPTH)) for lite, pg in pairs]
            print(
                f"         top {DEPTH} candidates: the same in order {sum(a for a, _ in alike)}"
                f"/{total}, shared {sum(s for _, s in alike) / total:.4f}"
            )
        if mode == "vector":
            for name, found in (("sqlite", on_sqlite), ("postgresql", on_postgres)):
                at = {
                    depth: sum(
                        _share(top, want, depth)
                        for top, want in zip(found[key], exact[depth], strict=True)
                    )
                    / total
                    for depth, key in ((runner.K, mode), (DEPTH, f"{mode}@{DEPTH}"))
                }
                print(
                    f"         {name}: recall against exact cosine @{runner.K} {at[runner.K]:.4f}"
                    f", @{DEPTH} {at[DEPTH]:.4f}"
                )
    if "vector" in modes:
        bit = bit_scorings(collection, model)
        print(
            f"bit storage, exact: nDCG@10 {bit['query x codes']:.4f} scoring the query against "
            f"the sign codes (SQLite's index), {bit['hamming']:.4f} by Hamming (PostgreSQL)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
