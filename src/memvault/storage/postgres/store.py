"""``PostgresStore``: the storage roles on one schema of a PostgreSQL database.

Each role is a class of its own module, with its SQL beside it; all of them run their work
through the pool and transactions of :class:`PostgresEngine`.
"""

from __future__ import annotations

from memvault.storage.postgres.adjacent import PostgresAdjacent
from memvault.storage.postgres.backup import PostgresBackup
from memvault.storage.postgres.compact import PostgresCompact
from memvault.storage.postgres.entities import PostgresEntities
from memvault.storage.postgres.files import PostgresFiles
from memvault.storage.postgres.graph import PostgresGraph
from memvault.storage.postgres.health import PostgresHealth
from memvault.storage.postgres.imports import PostgresImports
from memvault.storage.postgres.memories import PostgresMemories
from memvault.storage.postgres.repair import PostgresRepair
from memvault.storage.postgres.search import PostgresSearch
from memvault.storage.postgres.session_overview import PostgresSessionOverview
from memvault.storage.postgres.session_telemetry import PostgresTelemetry
from memvault.storage.postgres.sessions import PostgresSessions
from memvault.storage.postgres.vector_imports import PostgresVectorImports
from memvault.storage.postgres.vector_queue import PostgresVectorQueue
from memvault.storage.postgres.vector_search import PostgresVectorSearch


class PostgresStore(
    PostgresMemories,
    PostgresEntities,
    PostgresAdjacent,
    PostgresGraph,
    PostgresHealth,
    PostgresBackup,
    PostgresRepair,
    PostgresCompact,
    PostgresSearch,
    PostgresFiles,
    PostgresImports,
    PostgresSessions,
    PostgresTelemetry,
    PostgresSessionOverview,
    PostgresVectorQueue,
    PostgresVectorSearch,
    PostgresVectorImports,
):
    """The storage protocol (:class:`memvault.storage.roles.Store`) on PostgreSQL."""


__all__ = ["PostgresStore"]
