"""Ordered schema migrations with a version table.

Each ``migrations/NNNN_description.sql`` file is one version, applied once, in order, inside the
same ``BEGIN IMMEDIATE`` transaction that records it in ``schema_migrations``. Two processes that
open a new or old file at once therefore cannot both migrate it: the second waits for the lock,
re-reads the version and finds nothing left to do. Opening a file written by a newer memvault is
refused rather than guessed at.

Before the first migration touches a file that holds data (version 1 or later), the file is
copied beside itself as ``NAME.vN-<UTC time>.bak`` (``memvault.db.v4-20261202T152501Z.bak``):
an upgrade is the one write that changes every table's shape, and a bug in it must not cost
anyone their memories. The copy goes through SQLite's backup API inside the same transaction
that then migrates, so it is exactly the version the migrations start from; if it cannot be
written (disk full, read-only folder) nothing is migrated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import apsw

from memvault.core.errors import SchemaVersionError
from memvault.core.times import now_iso
from memvault.storage.migration_files import Migration, read_migrations
from memvault.storage.sqlite import entity_rows
from memvault.storage.sqlite.connection import with_lock_retry
from memvault.storage.sqlite.database_file import copy_pages

log = logging.getLogger(__name__)


def available_migrations() -> list[Migration]:
    return read_migrations("memvault.storage.sqlite")


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
            if version >= 1:
                backup_before_upgrade(path, version)
            for migration in available_migrations()[version:]:
                conn.execute(migration.sql)
                if version >= 1 and migration.version in AFTER:
                    AFTER[migration.version](conn, path)
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


def link_entities(conn: apsw.Connection, path: Path) -> None:
    """Version 7 adds entities: the memories already stored get theirs as a write would have
    found them (with every extractor: no file of before 7 can have chosen fewer)."""
    linked = entity_rows.link_stored(conn)
    if linked:
        log.info("found the entities of %d memories of %s written before", linked, path)


# Steps an upgrade of a file that holds data takes after a version's SQL, in its transaction.
AFTER: dict[int, Callable[[apsw.Connection, Path], None]] = {7: link_entities}


def upgrade_backup_path(path: Path, version: int) -> Path:
    """Where the copy of a version-``version`` file goes before it is upgraded (a free name)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.v{version}-{stamp}.bak")
    count = 1
    while candidate.exists():  # two upgrades within one second (a restored file, say)
        count += 1
        candidate = path.with_name(f"{path.name}.v{version}-{stamp}-{count}.bak")
    return candidate


def backup_before_upgrade(path: Path, version: int) -> Path:
    """Copy the file as last committed to its upgrade backup; the caller holds the write lock.

    The pages are read by a connection of their own: SQLite's backup cannot read through the
    connection that holds the write lock, while another reader sees exactly the committed file
    the migrations start from (the lock keeps every other writer out until they are done). A
    copy that cannot be finished is removed and the upgrade stops with the error, so a file is
    never migrated without its copy beside it.
    """
    target = upgrade_backup_path(path, version)
    try:
        source = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
        try:
            copy_pages(source, target)
        finally:
            source.close()
    except BaseException:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        raise
    log.warning(
        "upgrading %s from schema version %d to %d; a copy of it as it was is %s",
        path,
        version,
        LATEST_VERSION,
        target,
    )
    return target
