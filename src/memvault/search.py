"""Search across signals: keyword (BM25), vector (nearest neighbours) and hybrid (both, fused).

Hybrid is the default. It degrades to keyword search, never to an error, while a vault has no
vectors yet (vectors off, or the first ones still queued); a model change under existing vectors,
however, is an error, because comparing a query from one model with vectors from another returns
confident nonsense.
"""

from __future__ import annotations

from memvault.fusion import DEFAULT_FUSION, NO_BOOSTS, Boosts, FusionSettings, fuse
from memvault.models import MemoryFilter, SearchHit, SearchMode
from memvault.storage import Store
from memvault.text import parse_query
from memvault.vector_pipeline import VectorPipeline


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
        depth = max(k, self.fusion.depth)
        signals = {"keyword": self._keyword(query, where, depth)}
        if self._vectors.enabled and self._store.vector_config() is not None:
            signals["vector"] = self._vector(query, where, depth)
        return fuse(signals, self.fusion, limit=k, boosts=boosts)

    def _keyword(self, query: str, where: MemoryFilter, limit: int) -> list[SearchHit]:
        return self._store.keyword_search(parse_query(query), where, limit=limit)

    def _vector(self, query: str, where: MemoryFilter, limit: int) -> list[SearchHit]:
        if not query.strip():
            return []
        vector = self._vectors.embed_query(query)
        return self._store.vector_search(vector, where, limit=limit)
