"""Ordered schema migrations with a version table.

Each ``migrations/NNNN_description.sql`` file is one version, applied once, in order, inside the
same ``BEGIN IMMEDIATE`` transaction that records it in ``schema_migrations``. Two processes that
open a new or old file at once therefore cannot both migrate it: the second waits for the lock,
re-reads the version and finds nothing left to do. Opening a file written by a newer memvault is
refused rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import apsw

from memvault.core.errors import SchemaVersionError
from memvault.core.times import now_iso
from memvault.storage.sqlite.connection import with_lock_retry

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sql: str


def available_migrations() -> list[Migration]:
    folder = resources.files("memvault.storage.sqlite").joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(
                Migration(int(match[1]), match[2].replace("_", " "), entry.read_text("utf-8"))
            )
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise RuntimeError(f"migration files are not numbered 1..N: {[m.version for m in found]}")
    return found


LATEST_VERSION = len(available_migrations())


def current_version(conn: apsw.Connection) -> int:
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not has_table:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: apsw.Connection, path: Path) -> int:
    """Bring the database to the latest version; returns the version it is at afterwards.

    A file at the latest version is only read: taking the write lock at every open made any
    command wait behind another process's long write before it could even start.
    """
    if with_lock_retry(lambda: current_version(conn), path) == LATEST_VERSION:
        return LATEST_VERSION
    with_lock_retry(lambda: conn.execute("BEGIN IMMEDIATE"), path)
    try:
        version = current_version(conn)
        if version > LATEST_VERSION:
            raise SchemaVersionError(
                f"database {path} has schema version {version}, newer than this memvault "
                f"understands ({LATEST_VERSION}); upgrade memvault to open it"
            )
        if version < LATEST_VERSION:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
                " applied_at TEXT NOT NULL) STRICT"
            )
            for migration in available_migrations()[version:]:
                conn.execute(migration.sql)
                conn.execute(
                    "INSERT INTO schema_migrations(version, description, applied_at)"
                    " VALUES (?, ?, ?)",
                    (migration.version, migration.description, now_iso()),
                )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return max(version, LATEST_VERSION)
