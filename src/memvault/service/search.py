"""Search across signals: keyword (BM25), vector (nearest neighbours) and hybrid (both, fused).

Hybrid is the default. It degrades to keyword search, never to an error, while a vault has no
vectors yet (vectors off, or the first ones still queued); a model change under existing vectors,
however, is an error, because comparing a query from one model with vectors from another returns
confident nonsense.
"""

from __future__ import annotations

from memvault.core.records import MemoryFilter, SearchHit, SearchMode, Signal
from memvault.core.terms import parse_query
from memvault.service.embeddings import Embeddings
from memvault.service.fusion import DEFAULT_FUSION, NO_BOOSTS, Boosts, FusionSettings, fuse_rankings
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
    ) -> list[SearchHit]:
        if mode is SearchMode.KEYWORD:
            ranked = self._index.keyword_search(parse_query(query), where, limit=k)
            return self._hits(ranked, "keyword")
        if mode is SearchMode.VECTOR:
            if not query.strip():
                return []
            vector = self._embeddings.embed_query(query)
            return self._hits(self._index.vector_search(vector, where, limit=k), "vector")
        # Fusion works on (id, score) lists; records are built only for the hits returned.
        depth = max(k, self.fusion.depth)
        rankings = {"keyword": self._index.keyword_search(parse_query(query), where, limit=depth)}
        if query.strip() and self._embeddings.has_vectors():
            vector = self._embeddings.embed_query(query)
            rankings["vector"] = self._index.vector_search(vector, where, limit=depth)
        memories = None
        if boosts.active:
            memories = self._memories.memories_by_id([i for r in rankings.values() for i, _ in r])
        fused = fuse_rankings(rankings, self.fusion, limit=k, boosts=boosts, memories=memories)
        if memories is None:
            memories = self._memories.memories_by_id([f.memory_id for f in fused])
        return [
            SearchHit(memory=memories[f.memory_id], score=f.score, signals=f.signals)
            for f in fused
            if f.memory_id in memories  # forgotten between the two reads
        ]

    def _hits(self, ranked: list[Ranked], signal: str) -> list[SearchHit]:
        """Records for one signal's ranking, best first, each with its own rank and score."""
        found = self._memories.memories_by_id([memory_id for memory_id, _ in ranked])
        return [
            SearchHit(memory=found[memory_id], score=score, signals={signal: Signal(rank, score)})
            for rank, (memory_id, score) in enumerate(ranked, start=1)
            if memory_id in found
        ]
