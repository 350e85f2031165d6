"""``SqliteStore``: every storage role on one SQLite file (the embedded default engine).

Each role is a class of its own module, with its SQL beside it (``memories.py``, ``search.py``,
``adjacent.py``, ``graph.py``, ``vector_queue.py``, ``files.py``, ``imports.py``, ``sessions.py``,
``session_telemetry.py``, ``session_overview.py``, ``health.py``, ``backup.py``, ``repair.py``,
``compact.py``); all of them run
their work through the connections and the single writer of :class:`SqliteEngine`.
"""

from __future__ import annotations

from memvault.storage.sqlite.adjacent import SqliteAdjacent
from memvault.storage.sqlite.backup import SqliteBackup
from memvault.storage.sqlite.compact import SqliteCompact
from memvault.storage.sqlite.entities import SqliteEntities
from memvault.storage.sqlite.files import SqliteFiles
from memvault.storage.sqlite.graph import SqliteGraph
from memvault.storage.sqlite.health import SqliteHealth
from memvault.storage.sqlite.imports import SqliteImports
from memvault.storage.sqlite.memories import SqliteMemories
from memvault.storage.sqlite.repair import SqliteRepair
from memvault.storage.sqlite.search import SqliteSearch
from memvault.storage.sqlite.session_overview import SqliteSessionOverview
from memvault.storage.sqlite.session_telemetry import SqliteTelemetry
from memvault.storage.sqlite.sessions import SqliteSessions
from memvault.storage.sqlite.vector_queue import SqliteVectorQueue


class SqliteStore(
    SqliteMemories,
    SqliteEntities,
    SqliteSearch,
    SqliteAdjacent,
    SqliteGraph,
    SqliteVectorQueue,
    SqliteFiles,
    SqliteImports,
    SqliteSessions,
    SqliteTelemetry,
    SqliteSessionOverview,
    SqliteHealth,
    SqliteBackup,
    SqliteRepair,
    SqliteCompact,
):
    """The storage protocol (:class:`memvault.storage.roles.Store`) on one SQLite file."""


__all__ = ["SqliteStore"]
