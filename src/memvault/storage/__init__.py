"""Persistence: the only package that knows about databases.

Everything above it talks to :class:`~memvault.storage.roles.Store`. ``open_store`` picks the
engine for a location; today that is always the embedded SQLite engine.
"""

from __future__ import annotations

from pathlib import Path

from memvault.storage.roles import Store


def open_store(db_path: Path) -> Store:
    from memvault.storage.sqlite.store import SqliteStore

    return SqliteStore(db_path)


__all__ = ["Store", "open_store"]
