"""Each ranking step of hybrid search, on and off: the ablation rows of docs/fusion.md.

Runs the product's own evaluation (``memvault.evaluation.runner``, what ``memvault eval``
runs) with one setting changed at a time. LoCoMo is split by conversation: the steps' numbers
were chosen on conv-26 and conv-30 (``--grid`` prints that choice) and are reported on conv-41,
42 and 43, which took no part in it; SciFact train is the development set of the fusion
weights themselves, SciFact test is reported.

    .venv/bin/python benchmarks/ablate_fusion.py [--grid] [--skip-scifact] [--data DIR]

Document vectors come from the cache ``make eval`` fills (first run embeds, ~10 min).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

from memvault.embedding.cache import CachedEmbedder
from memvault.embedding.factory import make_embedder
from memvault.evaluation import datasets, runner
from memvault.service.fusion import DEFAULT_FUSION, FusionSettings

DEFAULT_DATA = Path(os.environ.get("MEMVAULT_DATASETS", "/work/shared/datasets"))
TUNE = ("conv-26", "conv-30")
ROWS: tuple[tuple[str, FusionSettings], ...] = (
    ("hybrid, every step (the default)", DEFAULT_FUSION),
    ("- adjacent turns", replace(DEFAULT_FUSION, adjacent_decay=0.0)),
    ("- time window", replace(DEFAULT_FUSION, time_boost=0.0)),
    ("- both (fusion alone, as before)", replace(DEFAULT_FUSION, adjacent_decay=0, time_boost=0)),
)


def split_locomo(data: Path) -> dict[str, datasets.Dataset]:
    whole = datasets.load(data / "locomo" / "locomo-dev5.json")
    tune = tuple(c for c in whole.collections if c.name in TUNE)
    check = tuple(c for c in whole.collections if c.name not in TUNE)
    return {
        "locomo 26+30 (tune)": replace(whole, name="locomo-tune", collections=tune),
        "locomo 41-43 (check)": replace(whole, name="locomo-check", collections=check),
    }


def cell(report: runner.EvalReport, mode: str) -> str:
    (found,) = [r for r in report.results if r.mode == mode]
    return f"{found.ndcg_at_10:.3f} / {found.recall_at_5:.3f}"


def table(sets: dict[str, datasets.Dataset], embedder: CachedEmbedder) -> None:
    print("| nDCG@10 / R@5 | " + " | ".join(sets) + " |")
    print("|---" * (len(sets) + 1) + "|")
    halves = {
        name: runner.evaluate(d, embedder=embedder, modes=["keyword", "vector"])
        for name, d in sets.items()
    }
    for mode in ("keyword", "vector"):
        print(f"| {mode} only | " + " | ".join(cell(halves[n], mode) for n in sets) + " |")
    for label, settings in ROWS:
        reports = [
            runner.evaluate(d, embedder=embedder, modes=["hybrid"], fusion=settings)
            for d in sets.values()
        ]
        print(f"| {label} | " + " | ".join(cell(r, "hybrid") for r in reports) + " |", flush=True)


def grid(tune: datasets.Dataset, embedder: CachedEmbedder) -> None:
    """The choice of the two steps' numbers, on the tuning conversations only."""
    print("| setting | nDCG@10 / R@5 on conv-26 + conv-30 |\n|---|---|")
    off = replace(DEFAULT_FUSION, time_boost=0.0)
    for decay, span in itertools.product((0.5, 0.6, 0.7, 0.8, 0.9), (1, 2, 3)):
        settings = replace(off, adjacent_decay=decay, adjacent_span=span)
        report = runner.evaluate(tune, embedder=embedder, modes=["hybrid"], fusion=settings)
        print(f"| adjacent decay {decay} span {span} | {cell(report, 'hybrid')} |", flush=True)
    for boost in (0.25, 0.5, 1.0, 2.0):
        settings = replace(DEFAULT_FUSION, time_boost=boost)
        report = runner.evaluate(tune, embedder=embedder, modes=["hybrid"], fusion=settings)
        print(f"| time boost {boost} | {cell(report, 'hybrid')} |", flush=True)


def entity_grid(sets: dict[str, datasets.Dataset], embedder: CachedEmbedder, data: Path) -> None:
    """Issue 20's entity-overlap multiplier over the default (0, the default, is off): on all
    questions and on the multi-hop ones (LoCoMo category 1), where it should help most."""
    multi_hop = _category_ids(data / "locomo" / "locomo-dev5.json", category=1)
    columns = {}
    for name, whole in sets.items():
        columns[name] = whole
        columns[f"{name}, multi-hop"] = _only(whole, multi_hop)
    print("| entity boost | " + " | ".join(columns) + " |\n" + "|---" * (len(columns) + 1) + "|")
    for boost in (0.0, 0.1, 0.25, 0.5, 1.0):
        settings = replace(DEFAULT_FUSION, entity_boost=boost)
        cells = [
            cell(runner.evaluate(d, embedder=embedder, modes=["hybrid"], fusion=settings), "hybrid")
            for d in columns.values()
        ]
        print(f"| {boost} | " + " | ".join(cells) + " |", flush=True)


def _category_ids(path: Path, *, category: int) -> frozenset[str]:
    """The ids ``datasets.load`` gives LoCoMo's questions of one category (``NAME/qINDEX``)."""
    samples = json.loads(path.read_text("utf-8"))
    return frozenset(
        f"{sample['sample_id']}/q{index}"
        for sample in samples
        for index, item in enumerate(sample.get("qa") or [])
        if isinstance(item, dict) and item.get("category") == category
    )


def _only(whole: datasets.Dataset, ids: frozenset[str]) -> datasets.Dataset:
    collections = tuple(
        replace(c, queries=tuple(q for q in c.queries if q.id in ids)) for c in whole.collections
    )
    return replace(whole, collections=tuple(c for c in collections if c.queries))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--grid", action="store_true", help="the choice on the tuning split")
    parser.add_argument("--skip-scifact", action="store_true")
    parser.add_argument("--entities", action="store_true", help="the entity-overlap grid only")
    args = parser.parse_args()
    cache = os.environ.get("MEMVAULT_CACHE", "~/.cache/memvault/embeddings")
    embedder = CachedEmbedder(make_embedder("bundled"), cache)
    sets = split_locomo(args.data)
    if args.grid:
        grid(sets["locomo 26+30 (tune)"], embedder)
        return 0
    if args.entities:
        entity_grid(sets, embedder, args.data)
        return 0
    if not args.skip_scifact:
        sets["scifact train (dev)"] = datasets.load(args.data / "scifact", split="train")
        sets["scifact test"] = datasets.load(args.data / "scifact", split="test")
    table(sets, embedder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
