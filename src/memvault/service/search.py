"""Search across signals: keyword (BM25), vector (nearest neighbours) and hybrid (both, fused).

Hybrid is the default. It degrades to keyword search, never to an error, while a vault has no
vectors yet (vectors off, or the first ones still queued); a model change under existing vectors,
however, is an error, because comparing a query from one model with vectors from another returns
confident nonsense.
"""

from __future__ import annotations

from dataclasses import replace

from memvault.core.records import MemoryFilter, MessageScope, SearchHit, SearchMode, Signal
from memvault.core.terms import QueryTerm, parse_query
from memvault.core.time_expressions import query_window
from memvault.service.adjacent import lend_to_adjacent
from memvault.service.embeddings import Embeddings
from memvault.service.entity_overlap import entity_shares, query_entities
from memvault.service.fusion import (
    DEFAULT_FUSION,
    NO_BOOSTS,
    Boosts,
    Fused,
    FusionSettings,
    fuse_rankings,
)
from memvault.service.relevance import relevances
from memvault.storage.roles import MemoryStore, Ranked, SearchIndex


class Searcher:
    def __init__(
        self,
        memories: MemoryStore,
        index: SearchIndex,
        embeddings: Embeddings,
        fusion: FusionSettings = DEFAULT_FUSION,
    ) -> None:
        self._memories = memories
        self._index = index
        self._embeddings = embeddings
        self.fusion = fusion

    def search(
        self,
        query: str,
        where: MemoryFilter,
        *,
        k: int,
        mode: SearchMode,
        boosts: Boosts = NO_BOOSTS,
        min_relevance: float | None = None,
        fusion: FusionSettings | None = None,
    ) -> list[SearchHit]:
        """Hits best first, each with its ``relevance``; those under ``min_relevance`` left out.

        ``fusion`` replaces this searcher's settings for one search (the gold-set gate scores a
        changed configuration against the same vault without reopening it)."""
        settings = fusion or self.fusion
        terms = parse_query(query)
        if mode is SearchMode.KEYWORD:
            rankings = {"keyword": self._index.keyword_search(terms, where, limit=k)}
            hits = self._hits(rankings["keyword"], "keyword")
        elif mode is SearchMode.VECTOR:
            if not query.strip():
                return []
            vector = self._embeddings.embed_query(query)
            rankings = {"vector": self._index.vector_search(vector, where, limit=k)}
            hits = self._hits(rankings["vector"], "vector")
        else:
            rankings, hits = self._hybrid(query, terms, where, k=k, boosts=boosts, fusion=settings)
        hits = self._rated(hits, terms, rankings, deep=max(k, settings.depth))
        if min_relevance is not None:
            hits = [hit for hit in hits if (hit.relevance or 0.0) >= min_relevance]
        return hits

    def _hybrid(
        self,
        query: str,
        terms: tuple[QueryTerm, ...],
        where: MemoryFilter,
        *,
        k: int,
        boosts: Boosts,
        fusion: FusionSettings,
    ) -> tuple[dict[str, list[Ranked]], list[SearchHit]]:
        # Fusion works on (id, score) lists; records are built only for the hits returned.
        depth = max(k, fusion.depth)
        rankings = {"keyword": self._index.keyword_search(terms, where, limit=depth)}
        if query.strip() and self._embeddings.has_vectors():
            vector = self._embeddings.embed_query(query)
            rankings["vector"] = self._index.vector_search(vector, where, limit=depth)
        window = query_window(query) if fusion.time_boost > 0 else None
        wanted = query_entities(query) if fusion.entity_boost > 0 else frozenset()
        memories = None
        if boosts.active or window is not None or wanted:
            memories = self._memories.memories_by_id([i for r in rankings.values() for i, _ in r])
        shares = entity_shares(wanted, memories) if wanted and memories else None
        fused = fuse_rankings(
            rankings,
            fusion,
            limit=k,
            boosts=boosts,
            memories=memories,
            window=window,
            entities=shares,
        )
        fused = self._with_adjacent(fused, where, k=k, settings=fusion)
        missing = [f.memory_id for f in fused if memories is None or f.memory_id not in memories]
        if missing:
            memories = {**(memories or {}), **self._memories.memories_by_id(missing)}
        memories = memories or {}
        hits = [
            SearchHit(memory=memories[f.memory_id], score=f.score, signals=f.signals)
            for f in fused
            if f.memory_id in memories  # forgotten between the two reads
        ]
        return rankings, hits

    def _with_adjacent(
        self, fused: list[Fused], where: MemoryFilter, *, k: int, settings: FusionSettings
    ) -> list[Fused]:
        """Messages next to the best hits lent a share of their score (service/adjacent.py);
        no round trip when the search cannot return messages."""
        if settings.adjacent_decay <= 0 or not fused:
            return fused
        if where.messages is MessageScope.EXCLUDE and where.session_id is None:
            return fused
        top = [f.memory_id for f in fused[: settings.adjacent_top]]
        adjacent = self._index.adjacent_messages(top, where, span=settings.adjacent_span)
        return lend_to_adjacent(fused, adjacent, settings, limit=k)

    def _rated(
        self,
        hits: list[SearchHit],
        terms: tuple[QueryTerm, ...],
        rankings: dict[str, list[Ranked]],
        *,
        deep: int,
    ) -> list[SearchHit]:
        """``hits`` with their relevance, from the vector ranking's cosines and the share of
        the query's words each hit contains."""
        if not hits:
            return hits
        ids = [hit.memory.id for hit in hits]
        vector = rankings.get("vector")
        cosines = dict(vector) if vector is not None else None
        # A hit missing from a full vector list is at most as close as its last entry.
        ceiling = vector[-1][1] if vector and len(vector) >= deep else None
        matched = self._index.matched_terms(terms, ids) if terms else None
        rated = relevances(
            ids, cosines=cosines, cosine_ceiling=ceiling, matched=matched, terms=len(terms)
        )
        return [replace(hit, relevance=rated[hit.memory.id]) for hit in hits]

    def _hits(self, ranked: list[Ranked], signal: str) -> list[SearchHit]:
        """Records for one signal's ranking, best first, each with its own rank and score."""
        found = self._memories.memories_by_id([memory_id for memory_id, _ in ranked])
        return [
            SearchHit(memory=found[memory_id], score=score, signals={signal: Signal(rank, score)})
            for rank, (memory_id, score) in enumerate(ranked, start=1)
            if memory_id in found
        ]
