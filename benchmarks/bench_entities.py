"""Entities without a model: extraction CPU per memory, and insert throughput with it on and off.

Extraction runs on every write (``storage/entity_links.py``: in the caller's thread, the links
in the write's transaction), so its cost is the insert path's. Three kinds of text: an agent's
working notes (names, code identifiers, paths, issues, versions, URLs, mentions: what the
extractors are for), the bench's own synthetic memories (lower-case words with code
identifiers, as the search tables use), and LoCoMo's dialog turns (people talking: names at
sentence starts), read from ``MEMVAULT_DATASETS`` (by default ``/work/shared/datasets``) when
it is there and never copied into the repository.

Insert throughput is ``remember_many`` on a DB-only vault without vectors, the same texts with
the setting ``entities.kinds`` at all and at none, in turns (off, on, off, on), best of each.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from pathlib import Path

from corpus import TextMaker
from report import Section
from timing import log

import memvault
from memvault.content.entities import ALL_KINDS, extract_entities, forget_spellings
from memvault.core.records import MemoryDraft
from memvault.evaluation.datasets import load_locomo

DATASETS = Path(os.environ.get("MEMVAULT_DATASETS", "/work/shared/datasets"))
LOCOMO = DATASETS / "locomo" / "locomo-dev5.json"
TEXTS = 5_000  # per text set, for the CPU table
ROUNDS = 3  # the CPU table keeps the fastest of these passes
INSERTED = 20_000  # memories per insert run
BATCH = 500  # per remember_many call, as bench_search

PEOPLE = ["Ana Lopez", "Bob", "Carla Diaz", "Dmitri", "Erin O'Neil", "Farah", "Grace Kim"]
HANDLES = ["@ana", "@bob", "@carla", "@dmitri", "@erin"]
FUNCTIONS = ["parseConfig", "load_settings", "retry_with_backoff", "VectorIndex.search", "open()"]
PATHS = ["src/memvault/core/terms.py", "./scripts/deploy.sh", "docs/fusion.md", "config.toml"]
SERVICES = ["PostgreSQL", "Redis", "GitHub Actions", "Kubernetes", "Grafana"]
ISSUES = ["#123", "GH-88", "PROJ-812", "acme/api#45"]
VERSIONS = ["v2.3.1", "1.0.0-rc1", "v0.14.2"]
URLS = ["https://example.com/docs/setup", "https://grafana.acme.io/d/latency"]
TEMPLATES = [
    "{person} found that {function} times out when {service} restarts; see {issue}.",
    "Decided with {handle}: move {function} into {path} before {version}.",
    "{person} prefers small commits; the flaky test in {path} is tracked in {issue}.",
    "After the upgrade to {version}, {service} logs warnings from {function} ({url}).",
    "the deploy failed twice today, rolled back and it held; {handle} will look tomorrow",
    "Lesson: never run {function} against {service} in production without a dry run.",
]


def agent_notes(count: int, seed: int = 4) -> list[str]:
    rng = random.Random(seed)
    return [
        rng.choice(TEMPLATES).format(
            person=rng.choice(PEOPLE),
            handle=rng.choice(HANDLES),
            function=rng.choice(FUNCTIONS),
            path=rng.choice(PATHS),
            service=rng.choice(SERVICES),
            issue=rng.choice(ISSUES),
            version=rng.choice(VERSIONS),
            url=rng.choice(URLS),
        )
        for _ in range(count)
    ]


def text_sets() -> dict[str, list[str]]:
    maker = TextMaker(seed=9)
    sets = {
        "agent notes": agent_notes(TEXTS),
        "synthetic (search tables)": [maker.memory() for _ in range(TEXTS)],
    }
    if LOCOMO.exists():
        turns = [d.content for c in load_locomo(LOCOMO).collections for d in c.documents]
        sets["LoCoMo turns"] = turns[:TEXTS]
    else:
        log(f"no LoCoMo at {LOCOMO}: its row is left out")
    return sets


def extraction_section() -> Section:
    section = Section(
        "Entity extraction CPU per memory (no model)",
        ["texts", "memories", "mean chars", "entities/memory", "µs/memory", "memories/s"],
    )
    for name, texts in text_sets().items():
        found = [extract_entities(t) for t in texts]
        passes = []
        for _ in range(ROUNDS):
            forget_spellings()  # each pass cold: the same texts again would find every key cached
            start = time.process_time()
            for text in texts:
                extract_entities(text, kinds=ALL_KINDS)
            passes.append(time.process_time() - start)
        per = min(passes) / len(texts)
        section.add(
            name,
            f"{len(texts):,}",
            f"{statistics.mean(len(t) for t in texts):.0f}",
            f"{statistics.mean(len(f) for f in found):.1f}",
            f"{per * 1e6:.1f}",
            f"{1 / per:,.0f}",
        )
        log(f"entities: {name} {per * 1e6:.1f} µs/memory")
    section.notes.append(
        f"Process CPU time of `extract_entities` over each set, the fastest of {ROUNDS} passes, "
        "each from an empty cache of spellings' keys. "
        "Agent notes are generated from templates naming people, services, functions, paths, "
        "issues, versions, URLs and @handles; the synthetic memories are those of the search "
        "tables; LoCoMo turns are the dialog turns of its five dev conversations "
        "(`Speaker: text`, read from the shared datasets, not the repository)."
    )
    return section


def insert_rate(folder: Path, texts: list[str], kinds: str, run: int) -> float:
    with memvault.open(
        folder / f"entities-{kinds}-{run}.db", embedder="none", background=False
    ) as vault:
        vault.set_entity_kinds(ALL_KINDS if kinds == "all" else frozenset())
        start = time.perf_counter()
        for first in range(0, len(texts), BATCH):
            vault.remember_many([MemoryDraft(t) for t in texts[first : first + BATCH]])
        return len(texts) / (time.perf_counter() - start)


def insert_section(folder: Path) -> Section:
    section = Section(
        f"Insert throughput with entity extraction on and off (remember_many, {BATCH} per call)",
        ["texts", "memories", "entities off/s", "entities on/s", "cost"],
    )
    maker = TextMaker(seed=12)
    synthetic = [maker.memory() for _ in range(INSERTED)]
    sets = [
        ("agent notes", agent_notes(INSERTED, seed=8)),
        ("synthetic (search tables)", synthetic),
    ]
    turns = text_sets().get("LoCoMo turns")
    if turns:
        sets.append(("LoCoMo turns", [turns[n % len(turns)] for n in range(INSERTED)]))
    for name, texts in sets:
        unique = [f"{text} ({n})" for n, text in enumerate(texts)]  # no dedup short-cut
        rates: dict[str, list[float]] = {"none": [], "all": []}
        for run in range(2):
            for kinds in ("none", "all"):
                rates[kinds].append(insert_rate(folder, unique, kinds, run))
        off, on = max(rates["none"]), max(rates["all"])
        section.add(name, f"{len(unique):,}", f"{off:,.0f}", f"{on:,.0f}", f"{1 - on / off:.0%}")
        log(f"entities: insert off {off:,.0f}/s, on {on:,.0f}/s")
    section.notes.append(
        "Memories per second into a new DB-only vault without vectors (so the write path is all "
        "there is), the same texts with `entities.kinds` none and all, in turns, best of two "
        "each. `cost`: the share of insert throughput extraction and the entity rows (three "
        "statements per batch) take. LoCoMo's turns are cycled to the row's count (each copy "
        "numbered, so none is deduped)."
    )
    return section


def run(folder: Path) -> list[Section]:
    return [extraction_section(), insert_section(folder)]
