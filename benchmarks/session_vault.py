"""A vault of 100k memories and 100k messages for the session benchmarks, built through the API.

Texts and vectors are one ``synthetic.build`` corpus of 200k: its first 100k sentences are the
messages (100 sessions of 1,000 in four projects, logged 1,000 per ``vault.sessions.log`` call,
user and assistant in turn, tokens counted by the vault), the rest are memories
(``remember_many``) in the four projects and ``default``, with a share of decisions, lessons and
preferences, some pinned or important and a few refuted. 90 sessions end with a handoff; every tenth
stays active (another agent's running work, which the context pack leaves out). Vectors of both go
through the embed queue with ``PrecomputedEmbedder``, so query embedding costs a dictionary
lookup.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import synthetic
from corpus import TextMaker
from precomputed import PrecomputedEmbedder
from synthetic import Corpus, QuerySet
from timing import Ticker, log

import memvault
from memvault.core.records import DEFAULT_NAMESPACE, MemoryDraft
from memvault.core.session_records import MessageDraft, Role
from memvault.service.sessions import HandoffDraft

MESSAGES = 100_000
MEMORIES = 100_000
SESSIONS = 100
RUNNING_EVERY = 10  # every tenth session stays active
PROJECTS = ("shop", "billing", "search", "mobile")
USERS = ("ana", "ben", "chen")
BATCH = 1_000  # messages per log call (the API's maximum) and memories per remember_many
QUERIES = 300
# Memory kinds (besides the default) and their shares; pinned and important among the rest.
KIND_SHARES = (("decision", 0.08), ("lesson", 0.07), ("preference", 0.01))
PINNED_SHARE, IMPORTANT_SHARE, REFUTED_SHARE = 0.003, 0.02, 0.01


@dataclass
class SessionVault:
    vault: memvault.Vault
    corpus: Corpus
    message_queries: QuerySet  # content queries aimed at messages
    query_project: list[str]  # per content query: its target's project (default: any)
    stats: dict[str, float]

    def close(self) -> None:
        self.vault.close()


def build(folder: Path) -> SessionVault:
    log(f"sessions: generating {MESSAGES + MEMORIES:,} texts and vectors")
    corpus = synthetic.build(MESSAGES + MEMORIES, 2 * QUERIES)
    rng = random.Random(17)
    drafts = [_memory(rng, text) for text in corpus.texts[MESSAGES:]]
    embedder = PrecomputedEmbedder(  # a preference's text is "key: value", its vector the value's
        corpus.texts[:MESSAGES] + [d.content for d in drafts],
        corpus.vectors,
        corpus.content.texts + corpus.common.texts,
        np.vstack([corpus.content.vectors, corpus.common.vectors]),
    )
    vault = memvault.open(folder / "sessions-200k.db", embedder=embedder, background=False)
    try:
        stats: dict[str, float] = {}
        _remember(vault, drafts, stats)
        _log(vault, corpus.texts[:MESSAGES], stats)
        log(f"sessions: wait_for_jobs ({MESSAGES + MEMORIES:,} vectors through the queue)")
        ticker = Ticker("embed jobs", MESSAGES + MEMORIES)
        start = time.perf_counter()
        counts = vault.wait_for_jobs(progress=lambda c: ticker(c.done + c.failed))
        stats["vectors_s"] = time.perf_counter() - start
        assert counts.done == MESSAGES + MEMORIES and counts.failed == 0, counts
        start = time.perf_counter()
        vault.search(corpus.content.texts[0], k=10, mode="vector")
        stats["index_load_s"] = time.perf_counter() - start
    except BaseException:
        vault.close()
        raise
    projects = [
        message_project(t) if t < MESSAGES else drafts[t - MESSAGES].namespace
        for t in corpus.content.targets
    ]
    projects = [p if p in PROJECTS else PROJECTS[i % len(PROJECTS)] for i, p in enumerate(projects)]
    return SessionVault(vault, corpus, _aimed_at_messages(corpus.content), projects, stats)


def _remember(vault: memvault.Vault, drafts: list[MemoryDraft], stats: dict[str, float]) -> None:
    log(f"sessions: {len(drafts):,} memories, remember_many in batches of {BATCH:,}")
    ticker = Ticker("remember_many", len(drafts))
    start = time.perf_counter()
    for first in range(0, len(drafts), BATCH):
        vault.remember_many(drafts[first : first + BATCH])
        ticker(first + BATCH)
    stats["remember_s"] = time.perf_counter() - start


def _memory(rng: random.Random, text: str) -> MemoryDraft:
    roll = rng.random()
    kind = "note"
    for name, share in KIND_SHARES:
        if roll < share:
            kind = name
            break
        roll -= share
    if kind == "preference":  # as vault.preferences.set writes them
        key = f"pref-{rng.randrange(1_000)}"
        user = rng.choice(USERS)
        return MemoryDraft(
            f"{key}: {text}",
            kind=kind,
            tags=(f"preference:{key}",),
            importance=0.7,
            metadata={"preference": key, "user": user},
        )
    namespace = rng.choice((*PROJECTS, DEFAULT_NAMESPACE))
    pinned = rng.random() < PINNED_SHARE
    return MemoryDraft(
        text,
        kind=kind,
        namespace=namespace,
        tags=("pinned",) if pinned else (),
        importance=0.9 if rng.random() < IMPORTANT_SHARE else 0.5,
        confidence=0.2 if rng.random() < REFUTED_SHARE else 0.5,
    )


def message_project(row: int) -> str:
    return PROJECTS[(row // (MESSAGES // SESSIONS)) % len(PROJECTS)]


def _log(vault: memvault.Vault, texts: list[str], stats: dict[str, float]) -> None:
    per_session = len(texts) // SESSIONS
    log(f"sessions: {SESSIONS} sessions of {per_session:,} messages, logged {BATCH:,} per call")
    maker = TextMaker(seed=23)
    ticker = Ticker("messages", len(texts))
    logging = 0.0
    for n in range(SESSIONS):
        session = vault.sessions.start(
            project=PROJECTS[n % len(PROJECTS)],
            user=USERS[n % len(USERS)],
            agent="claude-code",
            title=f"bench session {n}",
        )
        mine = texts[n * per_session : (n + 1) * per_session]
        for first in range(0, len(mine), BATCH):
            drafts = [
                MessageDraft(text, role=Role.ASSISTANT if i % 2 else Role.USER)
                for i, text in enumerate(mine[first : first + BATCH], start=first)
            ]
            start = time.perf_counter()
            vault.sessions.log(session.id, drafts)
            logging += time.perf_counter() - start
        if n % RUNNING_EVERY != RUNNING_EVERY - 1:
            vault.sessions.end(session.id, handoff=_handoff(maker))
        ticker((n + 1) * per_session)
    stats["log_s"] = logging


def _handoff(maker: TextMaker) -> HandoffDraft:
    return HandoffDraft(
        maker.memory(),
        stopped_at=maker.memory(),
        next_steps=(maker.memory(), maker.memory()),
        open_questions=(maker.memory(),),
    )


def _aimed_at_messages(queries: QuerySet) -> QuerySet:
    """The content queries whose target is a message, at most ``QUERIES``."""
    rows = [i for i, t in enumerate(queries.targets) if t < MESSAGES][:QUERIES]
    return QuerySet(
        [queries.texts[i] for i in rows], queries.vectors[rows], [queries.targets[i] for i in rows]
    )
