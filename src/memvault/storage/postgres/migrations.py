"""Ordered schema migrations of a PostgreSQL store, with a version table in its schema.

Each ``migrations/NNNN_description.sql`` file is one version, applied once, in order, in one
transaction with its row in ``schema_migrations``. Several servers may open the same new store
at once: each takes a transaction-scoped advisory lock named after the schema first, so exactly
one migrates and the others, once they get the lock, find nothing left to do. A store written by
a newer memvault is refused rather than guessed at. PostgreSQL's DDL is transactional, so a
migration that fails leaves the store exactly at the version it had.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from memvault.core.errors import SchemaVersionError, StorageError
from memvault.core.times import now_iso
from memvault.storage.migration_files import Migration, read_migrations
from memvault.storage.postgres import entity_rows

log = logging.getLogger(__name__)


def available_migrations() -> list[Migration]:
    return read_migrations("memvault.storage.postgres")


LATEST_VERSION = len(available_migrations())


def current_version(conn: psycopg.Connection[Any], schema: str) -> int:
    row = conn.execute(
        "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'schema_migrations'",
        (schema,),
    ).fetchone()
    if row is None:
        return 0
    found = conn.execute(
        sql.SQL("SELECT coalesce(max(version), 0) FROM {}.schema_migrations").format(
            sql.Identifier(schema)
        )
    ).fetchone()
    return int(found[0]) if found else 0


def migrate(conn: psycopg.Connection[Any], schema: str, where: str) -> int:
    """Bring the store's schema to the latest version; returns the version afterwards.

    A store at the latest version is only read: no lock is taken on an ordinary open."""
    version = current_version(conn, schema)
    conn.commit()
    if version == LATEST_VERSION:
        return version
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"memvault:{schema}",))
        version = current_version(conn, schema)
        if version > LATEST_VERSION:
            raise SchemaVersionError(
                f"{where} is at schema version {version}, newer than this memvault knows "
                f"({LATEST_VERSION}); upgrade memvault to open it"
            )
        if version < LATEST_VERSION:
            _apply(conn, schema, version)
    return LATEST_VERSION


def link_entities(conn: psycopg.Connection[Any], schema: str) -> None:
    """Version 2 adds entities: the memories already stored get theirs as a write would have
    found them (with every extractor: no store of before could have chosen fewer)."""
    linked = entity_rows.link_stored(conn)
    if linked:
        log.info("found the entities of %d memories of %s stored before", linked, schema)


# Steps an upgrade of a store that holds data takes after a version's SQL, in its transaction
# (as the SQLite engine's ``migrations.AFTER``).
AFTER: dict[int, Callable[[psycopg.Connection[Any], str], None]] = {2: link_entities}


def _apply(conn: psycopg.Connection[Any], schema: str, version: int) -> None:
    name = sql.Identifier(schema)
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))
    conn.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(name))
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
    except psycopg.Error as exc:
        raise StorageError(
            "the PostgreSQL server lacks pgvector, or this user may not create it "
            f"({exc.diag.message_primary or exc}); run CREATE EXTENSION vector as its owner"
        ) from exc
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, description text NOT NULL, applied_at text NOT NULL)"
    )
    for migration in available_migrations()[version:]:
        conn.execute(migration.sql.encode("utf-8"))
        if version >= 1 and migration.version in AFTER:
            AFTER[migration.version](conn, schema)
        conn.execute(
            "INSERT INTO schema_migrations(version, description, applied_at) VALUES (%s, %s, %s)",
            (migration.version, migration.description, now_iso()),
        )
