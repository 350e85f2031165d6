"""Measure how well a vault finds what it should: every search mode, every vector storage kind.

The vault is exercised exactly as a user's would be, through the public API: documents go in
with ``remember_many``, the embedding queue is drained, and each query is one ``search`` call.
So a number here is the product's number, fusion and quantisation included, not a model's in
isolation (``benchmarks/embed_models.py`` measures that).

Each collection gets a fresh vault in a temporary folder, once per storage kind, and all modes
search the same vault. With ``store`` (a PostgreSQL database URL) each of those vaults is a fresh
schema in that database instead, dropped afterwards, so the same numbers come from the other
engine. The vault deduplicates identical content, so a memory may stand for
several documents: it retrieves all of them at its rank.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import memvault
from memvault.core.errors import InvalidInputError, MemvaultError
from memvault.core.records import MemoryDraft, SearchHit, SearchMode
from memvault.core.session_records import MessageDraft, Role
from memvault.core.vector_records import VectorStorage
from memvault.embedding.factory import make_embedder
from memvault.evaluation import metrics
from memvault.evaluation.datasets import Collection, Dataset, Document
from memvault.service.fusion import FusionSettings
from memvault.storage import SERVER_SCHEMES, discard_store

if TYPE_CHECKING:
    from memvault.core.vector_records import JobCounts
    from memvault.embedding.base import Embedder
    from memvault.service.vault import Vault

MODES = tuple(mode.value for mode in SearchMode)
STORAGES = tuple(kind.value for kind in VectorStorage)
K = 10  # nDCG@10 and recall@10 need the top 10; MRR is therefore MRR@10
INSERT_BATCH = 500  # one transaction each: large enough to be fast, small for steady progress
SCRATCH_SCHEMA = "memvault_eval_"  # + random hex: the schema of one collection's vault

# (what is being done, how many are done, how many in all): drives a progress bar.
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class EvalResult:
    """The scores of one search mode over one storage kind, averaged over all queries."""

    mode: str
    storage: str
    ndcg_at_10: float
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr: float
    p50_ms: float
    p95_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "storage": self.storage,
            "ndcg@10": self.ndcg_at_10,
            "recall@1": self.recall_at_1,
            "recall@5": self.recall_at_5,
            "recall@10": self.recall_at_10,
            "mrr": self.mrr,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
        }


@dataclass(frozen=True, slots=True)
class EvalReport:
    dataset: str
    queries: int
    documents: int
    model_id: str | None  # None when only keyword search ran
    results: tuple[EvalResult, ...]
    server: str | None = None  # the database the vaults were in (--db), None: SQLite files

    def to_dict(self) -> dict[str, Any]:
        """The ``memvault eval --json`` contract: exactly these keys."""
        return {
            "dataset": self.dataset,
            "queries": self.queries,
            "results": [result.to_dict() for result in self.results],
        }


@dataclass
class _Scores:
    """Per-query numbers of one (mode, storage), collected across collections."""

    ndcg: list[float] = field(default_factory=list)
    recall_1: list[float] = field(default_factory=list)
    recall_5: list[float] = field(default_factory=list)
    recall_10: list[float] = field(default_factory=list)
    rr: list[float] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)

    def add(self, ranking: metrics.Ranking, relevant: frozenset[str], ms: float) -> None:
        self.ndcg.append(metrics.ndcg_at_k(ranking, relevant, K))
        self.recall_1.append(metrics.recall_at_k(ranking, relevant, 1))
        self.recall_5.append(metrics.recall_at_k(ranking, relevant, 5))
        self.recall_10.append(metrics.recall_at_k(ranking, relevant, 10))
        self.rr.append(metrics.reciprocal_rank(ranking, relevant))
        self.ms.append(ms)

    def result(self, mode: str, storage: str) -> EvalResult:
        return EvalResult(
            mode=mode,
            storage=storage,
            ndcg_at_10=metrics.mean(self.ndcg),
            recall_at_1=metrics.mean(self.recall_1),
            recall_at_5=metrics.mean(self.recall_5),
            recall_at_10=metrics.mean(self.recall_10),
            mrr=metrics.mean(self.rr),
            p50_ms=metrics.percentile(self.ms, 50),
            p95_ms=metrics.percentile(self.ms, 95),
        )


def parse_choices(text: str, allowed: Sequence[str], what: str) -> tuple[str, ...]:
    """``"keyword, hybrid"`` -> ("keyword", "hybrid"), in the given order, without repeats."""
    chosen = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    unknown = [c for c in chosen if c not in allowed]
    if unknown or not chosen:
        raise InvalidInputError(
            f"unknown {what} {', '.join(unknown) or repr(text)}: use {', '.join(allowed)}"
        )
    return chosen


def evaluate(
    dataset: Dataset,
    *,
    embedder: Embedder | str,
    modes: Sequence[str] = MODES,
    storages: Sequence[str] = (VectorStorage.FLOAT32.value,),
    progress: ProgressFn | None = None,
    fusion: FusionSettings | None = None,
    store: str | None = None,
) -> EvalReport:
    """Index every collection and run every query in every mode, once per storage kind.

    ``fusion`` replaces the default fusion settings (for tuning and ablations). ``store`` is a
    PostgreSQL database URL (``postgresql://USER@HOST/DB``): every vault is then a schema of its
    own there, ``memvault_eval_<hex>``, dropped when its collection is done; None: SQLite files
    in a temporary folder.
    ``embedder`` is an embedder or a spec string (``make_embedder``); wrap it in
    ``memvault.embedding.cache.CachedEmbedder`` so that re-runs do not embed the corpus again.
    """
    if store is not None:
        check_store_url(store)
    modes = parse_choices(",".join(modes), MODES, "search mode")
    storages = parse_choices(",".join(storages), STORAGES, "vector storage")
    needs_vectors = any(mode != SearchMode.KEYWORD for mode in modes)
    if not needs_vectors:
        embedder = "none"  # keyword search alone never reads a vector: skip embedding
    elif isinstance(embedder, str) and embedder.strip().lower() == "none":
        raise InvalidInputError("--embedder none allows only keyword search: use --modes keyword")
    elif isinstance(embedder, str):
        # One instance for every vault: the model loads once, and its model_id is reported.
        embedder = make_embedder(embedder)
    if dataset.query_count == 0:
        raise InvalidInputError(f"{dataset.name} has no query to evaluate")
    report = progress or (lambda _what, _done, _total: None)
    scores = {(mode, storage): _Scores() for storage in storages for mode in modes}
    for storage in storages:
        for collection in dataset.collections:
            if not collection.queries:
                continue  # nothing would search it: indexing it would only cost time
            with scratch_location(store) as location:
                # No background worker: wait_for_jobs embeds in this thread, so the model is
                # never run by two threads at once and the progress bar sees every job.
                vault = memvault.open(
                    location,
                    embedder=embedder,
                    vector_storage=storage if needs_vectors else None,
                    background=False,
                )
                with vault:
                    if fusion is not None:
                        vault.fusion = fusion
                    label = f"{collection.name} [{storage}]" if needs_vectors else collection.name
                    docs_of = _index(vault, collection, label, report)
                    if needs_vectors:
                        _embed_all(vault, label, report)
                    _search_all(vault, collection, modes, storage, docs_of, scores, label, report)
    return EvalReport(
        dataset=dataset.name,
        queries=dataset.query_count,
        documents=dataset.document_count,
        model_id=None if isinstance(embedder, str) else embedder.model_id,
        results=tuple(scores[mode, storage].result(mode, storage) for mode, storage in scores),
        server=None if store is None else _shown(store),
    )


def check_store_url(store: str) -> None:
    """``store`` must name a PostgreSQL database, and no schema: eval makes its own there."""
    parts = urlsplit(store)
    if "://" not in store or parts.scheme.lower() not in SERVER_SCHEMES:
        raise InvalidInputError(
            f"--db {store!r}: give a PostgreSQL URL (postgresql://USER@HOST/DB); "
            "without --db every vault is a temporary SQLite file"
        )
    if any(key == "schema" for key, _ in parse_qsl(parts.query)):
        raise InvalidInputError(
            "--db: leave ?schema= out: eval makes a fresh schema per collection and drops it after"
        )


def _shown(store: str) -> str:
    """The database URL without its password or query: for the report's title."""
    parts = urlsplit(store)
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0] + "@" if len(netloc) == 2 else ""
    return urlunsplit(parts._replace(netloc=user + netloc[-1], query=""))


@contextmanager
def scratch_location(store: str | None) -> Iterator[str | Path]:
    """Where one collection's vault goes: a SQLite file in a temporary folder, or a fresh
    schema in the ``store`` database. Either is gone afterwards, whatever happened."""
    if store is None:
        with tempfile.TemporaryDirectory(prefix="memvault-eval-") as folder:
            yield Path(folder) / "eval.db"
        return
    parts = urlsplit(store)
    query = [*parse_qsl(parts.query), ("schema", SCRATCH_SCHEMA + secrets.token_hex(6))]
    url = urlunsplit(parts._replace(query=urlencode(query)))
    try:
        yield url
    except BaseException:
        with suppress(MemvaultError):  # say why the run failed, not that the cleanup did too
            discard_store(url)
        raise
    discard_store(url)


def _index(
    vault: Vault, collection: Collection, label: str, report: ProgressFn
) -> dict[str, tuple[str, ...]]:
    """Insert the documents; returns memory id -> the document ids it stands for."""
    if _is_conversation(collection):
        return _log_conversation(vault, collection, label, report)
    docs_of: dict[str, list[str]] = {}
    total = len(collection.documents)
    for start in range(0, total, INSERT_BATCH):
        report(f"{label}: storing", start, total)
        batch = collection.documents[start : start + INSERT_BATCH]
        outcomes = vault.remember_many(
            [MemoryDraft(content=doc.content, source=doc.id) for doc in batch]
        )
        # A duplicate returns the existing memory's id (created=False): map it there too.
        for doc, outcome in zip(batch, outcomes, strict=True):
            docs_of.setdefault(outcome.id, []).append(doc.id)
    report(f"{label}: storing", total, total)
    return {memory_id: tuple(ids) for memory_id, ids in docs_of.items()}


def _is_conversation(collection: Collection) -> bool:
    return bool(collection.documents) and all(doc.thread for doc in collection.documents)


def _log_conversation(
    vault: Vault, collection: Collection, label: str, report: ProgressFn
) -> dict[str, tuple[str, ...]]:
    """Turns of a conversation go in as an agent would log them: one memvault session per
    session of the conversation, its turns as messages in order (the first speaker is the
    user). Returns message id -> the turn id."""
    first = collection.documents[0].speaker
    threads: dict[str, list[Document]] = {}
    for doc in collection.documents:
        threads.setdefault(doc.thread or "", []).append(doc)
    docs_of: dict[str, tuple[str, ...]] = {}
    done, total = 0, len(collection.documents)
    for thread, turns in threads.items():
        report(f"{label}: storing", done, total)
        session = vault.sessions.start(title=f"{collection.name} {thread}")
        for start in range(0, len(turns), INSERT_BATCH):
            batch = turns[start : start + INSERT_BATCH]
            drafts = [
                MessageDraft(
                    d.content,
                    role=Role.USER if d.speaker == first else Role.ASSISTANT,
                    created_at=d.said_at,
                )
                for d in batch
            ]
            for doc, message in zip(batch, vault.sessions.log(session.id, drafts), strict=True):
                docs_of[message.id] = (doc.id,)
        done += len(turns)
    report(f"{label}: storing", total, total)
    return docs_of


def _search(vault: Vault, collection: Collection, text: str, mode: str) -> list[SearchHit]:
    """Past conversations are searched as such (messages only); anything else as memories."""
    if _is_conversation(collection):
        return vault.sessions.search(text, k=K, mode=mode)
    return vault.search(text, k=K, mode=mode)


def _embed_all(vault: Vault, label: str, report: ProgressFn) -> None:
    def show(counts: JobCounts) -> None:
        report(f"{label}: embedding", counts.done + counts.failed, counts.total)

    counts = vault.wait_for_jobs(progress=show)
    show(counts)  # the last word, whether or not the queue reported its final state
    if counts.failed:
        # Vector scores over a partly embedded vault would be silently wrong: stop instead.
        raise MemvaultError(f"{counts.failed} of {counts.total} embedding jobs failed in {label}")


def _search_all(
    vault: Vault,
    collection: Collection,
    modes: Sequence[str],
    storage: str,
    docs_of: dict[str, tuple[str, ...]],
    scores: dict[tuple[str, str], _Scores],
    label: str,
    report: ProgressFn,
) -> None:
    # Not timed: the first search of a mode may load a model or build an in-memory index.
    for mode in modes:
        _search(vault, collection, collection.queries[0].text, mode)
    total = len(collection.queries) * len(modes)
    for index, query in enumerate(collection.queries):
        report(f"{label}: searching", index * len(modes), total)
        for mode in modes:
            started = time.perf_counter()
            hits = _search(vault, collection, query.text, mode)
            elapsed_ms = (time.perf_counter() - started) * 1000
            ranking = [frozenset(docs_of.get(hit.memory.id, ())) for hit in hits]
            scores[mode, storage].add(ranking, query.relevant, elapsed_ms)
    report(f"{label}: searching", total, total)
