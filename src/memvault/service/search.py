"""Search across signals: keyword (BM25), vector (nearest neighbours) and hybrid (both, fused).

Hybrid is the default. It degrades to keyword search, never to an error, while a vault has no
vectors yet (vectors off, or the first ones still queued); a model change under existing vectors,
however, is an error, because comparing a query from one model with vectors from another returns
confident nonsense.
"""

from __future__ import annotations

from memvault.core.records import MemoryFilter, SearchHit, SearchMode
from memvault.core.terms import parse_query
from memvault.service.embeddings import VectorPipeline
from memvault.service.fusion import DEFAULT_FUSION, NO_BOOSTS, Boosts, FusionSettings, fuse_rankings
from memvault.storage import Store


class Searcher:
    def __init__(
        self, store: Store, vectors: VectorPipeline, fusion: FusionSettings = DEFAULT_FUSION
    ) -> None:
        self._store = store
        self._vectors = vectors
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
            return self._keyword(query, where, k)
        if mode is SearchMode.VECTOR:
            return self._vector(query, where, k)
        # Fusion works on (id, score) lists; records are built only for the hits returned.
        depth = max(k, self.fusion.depth)
        rankings = {"keyword": self._store.keyword_ranking(parse_query(query), where, limit=depth)}
        if self._vectors.enabled and self._store.vector_config() is not None and query.strip():
            vector = self._vectors.embed_query(query)
            rankings["vector"] = self._store.vector_ranking(vector, where, limit=depth)
        memories = None
        if boosts.active:
            memories = self._store.memories_by_id([key for r in rankings.values() for key, _ in r])
        fused = fuse_rankings(rankings, self.fusion, limit=k, boosts=boosts, memories=memories)
        if memories is None:
            memories = self._store.memories_by_id([f.memory_id for f in fused])
        return [
            SearchHit(memory=memories[f.memory_id], score=f.score, signals=f.signals)
            for f in fused
            if f.memory_id in memories  # forgotten between the two reads
        ]

    def _keyword(self, query: str, where: MemoryFilter, limit: int) -> list[SearchHit]:
        return self._store.keyword_search(parse_query(query), where, limit=limit)

    def _vector(self, query: str, where: MemoryFilter, limit: int) -> list[SearchHit]:
        if not query.strip():
            return []
        vector = self._vectors.embed_query(query)
        return self._store.vector_search(vector, where, limit=limit)
