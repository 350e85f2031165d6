"""Measure the relevance rule (``service/relevance.py``) on development data only.

On-topic queries are searched against their own corpus, off-topic ones against the other:
LoCoMo's five dev conversations (questions of categories 1-4 against their conversation; 40
SciFact *train* claims against each conversation) and a SciFact sample (200 *train* claims
against their relevant abstracts plus 800 others; 200 LoCoMo questions against it). For each
query it records the best cosine of the vector signal and the best share of query words a top
hit contains, then prints, per threshold, how many queries would be told "nothing relevant"
and how often a relevant top-10 hit would be called weak. The bundled embedder is used.

    .venv/bin/python benchmarks/calibrate_relevance.py [--datasets DIR]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import memvault
from memvault.core.records import MemoryDraft, SearchHit
from memvault.core.terms import parse_query
from memvault.embedding.cache import CachedEmbedder
from memvault.embedding.factory import make_embedder
from memvault.evaluation import datasets
from memvault.service.vault import Vault

K = 10
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 9.0)  # 9: no vectors (keyword only)
COVERAGES = (0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Probe:
    """One query's evidence: best cosine of its top hits, best word share, and the same two
    for its best relevant hit (None when off-topic or no relevant hit made the top 10)."""

    on_topic: bool
    best_cosine: float
    best_share: float
    relevant: tuple[float, float] | None


def probe(vault: Vault, query: str, relevant_docs: frozenset[str], on_topic: bool) -> Probe:
    hits = vault.search(query, k=K)
    terms = parse_query(query)
    ids = [hit.memory.id for hit in hits]
    matched = vault._searcher._index.matched_terms(terms, ids) if terms else {}
    share = {i: matched.get(i, 0) / max(len(terms), 1) for i in ids}
    cosine = {h.memory.id: vector_score(h) for h in hits}
    good = [h.memory.id for h in hits if h.memory.source in relevant_docs]
    return Probe(
        on_topic,
        max(cosine.values(), default=0.0),
        max(share.values(), default=0.0),
        (max(cosine[i] for i in good), max(share[i] for i in good)) if good else None,
    )


def vector_score(hit: SearchHit) -> float:
    return hit.signals["vector"].score if "vector" in hit.signals else 0.0


def run_collection(
    embedder: object,
    docs: Sequence[datasets.Document],
    queries: list[tuple[str, frozenset[str], bool]],
) -> list[Probe]:
    with tempfile.TemporaryDirectory() as folder:
        vault = memvault.open(Path(folder) / "c.db", embedder=embedder, background=False)  # type: ignore[arg-type]
        with vault:
            vault.remember_many([MemoryDraft(content=d.content, source=d.id) for d in docs])
            vault.wait_for_jobs()
            return [probe(vault, text, rel, on) for text, rel, on in queries]


def bare(turn: datasets.Document) -> datasets.Document:
    """A turn as a chat log without names would hold it: the text after ``Speaker: ``."""
    return datasets.Document(turn.id, turn.content.split(": ", 1)[-1])


def flagged(probes: list[Probe], threshold: float, coverage: float) -> int:
    return sum(1 for p in probes if p.best_cosine < threshold and p.best_share < coverage)


def weak_relevant(probes: list[Probe], threshold: float, coverage: float) -> tuple[int, int]:
    found = [p.relevant for p in probes if p.relevant is not None]
    return sum(1 for c, s in found if c < threshold and s < coverage), len(found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="/work/shared/datasets")
    parser.add_argument("--cache", default=str(Path.home() / ".cache/memvault/embeddings"))
    parser.add_argument(
        "--bare-turns", action="store_true", help="LoCoMo turns without their 'Speaker: ' prefix"
    )
    args = parser.parse_args()
    root = Path(args.datasets)
    embedder = CachedEmbedder(make_embedder("bundled"), args.cache)
    rng = random.Random(13)
    locomo = datasets.load(root / "locomo" / "locomo-dev5.json")
    scifact = datasets.load(root / "scifact", split="train")
    (sci,) = scifact.collections
    claims = rng.sample(list(sci.queries), 200)
    questions = [q for c in locomo.collections for q in c.queries]
    results: dict[str, list[Probe]] = {}
    for conv in locomo.collections:
        queries = [(q.text, q.relevant, True) for q in conv.queries]
        queries += [(q.text, frozenset(), False) for q in rng.sample(claims, 40)]
        turns = [bare(d) for d in conv.documents] if args.bare_turns else conv.documents
        results.setdefault("locomo", []).extend(run_collection(embedder, turns, queries))
    wanted = {d for q in claims for d in q.relevant}
    others = [d for d in sci.documents if d.id not in wanted]
    docs = [d for d in sci.documents if d.id in wanted] + rng.sample(others, 800)
    queries = [(q.text, q.relevant, True) for q in claims]
    queries += [(q.text, frozenset(), False) for q in rng.sample(questions, 200)]
    results["scifact"] = run_collection(embedder, docs, queries)
    for name, probes in results.items():
        on = [p for p in probes if p.on_topic]
        off = [p for p in probes if not p.on_topic]
        print(f"\n{name}: {len(on)} on-topic, {len(off)} off-topic queries")
        print("threshold coverage | on-topic flagged | off-topic flagged | relevant hit weak")
        for coverage in COVERAGES:
            for t in THRESHOLDS:
                weak, total = weak_relevant(on, t, coverage)
                on_flagged, off_flagged = flagged(on, t, coverage), flagged(off, t, coverage)
                print(
                    f"{t:9.2f} {coverage:8.2f} | {on_flagged:4d} ({on_flagged / len(on):5.1%}) | "
                    f"{off_flagged:4d} ({off_flagged / len(off):5.1%}) | "
                    f"{weak}/{total} ({weak / max(total, 1):5.1%})"
                )


if __name__ == "__main__":
    main()
