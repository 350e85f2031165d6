"""Query-embedding latency of the bundled model: what a hybrid or vector search adds on top of
the search itself (which the search tables measure without it)."""

from __future__ import annotations

import time

from report import Section
from timing import log, percentile

from memvault.embedding.factory import make_embedder

WARMUP = 10
SUBJECTS = (
    "the staging deploy",
    "our postgres connection pool",
    "the flaky integration tests",
    "Alice's code review preferences",
    "the billing service retry policy",
    "rate limits on the public API",
    "the nightly backup job",
    "feature flags for the new onboarding flow",
    "the docker build cache",
    "on-call escalation",
)
FRAMES = (
    "how do we configure {}",
    "what did we decide about {}",
    "why does {} keep failing after the last release",
    "{}",
    "who owns {} and where is it documented",
)


def queries() -> list[str]:
    """50 agent-style queries of 2-13 words, in English (the model's tokenizer sees real words)."""
    return [frame.format(subject) for subject in SUBJECTS for frame in FRAMES]


def run(spec: str = "bundled") -> Section:
    log(f"query embedding with the {spec} model")
    embedder = make_embedder(spec)
    texts = queries()
    start = time.perf_counter()
    embedder.embed_query("warming up: the first call loads the model")
    load_s = time.perf_counter() - start
    for text in texts[:WARMUP]:
        embedder.embed_query(text)
    latencies = []
    for text in texts:
        start = time.perf_counter()
        embedder.embed_query(text)
        latencies.append((time.perf_counter() - start) * 1000)
    section = Section(
        f"Query embedding, {len(texts)} queries after warm-up",
        ["embedder", "model", "first call (load) s", "p50 ms", "p95 ms"],
    )
    section.add(
        spec,
        embedder.model_id,
        f"{load_s:.2f}",
        f"{percentile(latencies, 0.50):.2f}",
        f"{percentile(latencies, 0.95):.2f}",
    )
    section.notes.append(
        "One `embed_query` call per query, one thread (as the vault runs it). Add this to the "
        "vector and hybrid latencies above for a search from text."
    )
    return section
