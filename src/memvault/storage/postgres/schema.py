"""Removing a whole PostgreSQL store: its schema, with every table, index and row in it.

A store is one schema (see :mod:`memvault.storage.postgres.connection`), so discarding it is
one ``DROP SCHEMA … CASCADE``. Only a schema the URL names explicitly is dropped: a URL without
``?schema=`` means the default ``memvault`` schema, where a user's real store lives, and a slip
there must not wipe it. Used for throw-away stores (``memvault eval --db URL``).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import psycopg
from psycopg import sql

from memvault.core.errors import InvalidInputError
from memvault.storage.postgres.connection import PostgresLocation, translate


def claim_schema(url: str) -> bool:
    """Create the schema ``url`` names, empty (the migrations fill it on first open); False
    when it is there already (``CREATE SCHEMA`` without ``IF NOT EXISTS`` decides a race)."""
    location = PostgresLocation.parse(url)
    try:
        with psycopg.connect(location.conninfo, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(location.schema)))
    except psycopg.errors.DuplicateSchema:
        return False
    except psycopg.Error as exc:
        raise translate(exc, location.shown) from exc
    return True


def drop_store(url: str) -> None:
    """Drop the schema ``url`` names (``?schema=NAME``), if it is there; no store stays open on
    it, or the drop waits for that store's locks (``lock_timeout`` makes the wait an error)."""
    if "schema" not in dict(parse_qsl(urlsplit(url).query)):
        raise InvalidInputError(
            "only a store named by ?schema=NAME can be discarded; the default schema is left alone"
        )
    location = PostgresLocation.parse(url)
    try:
        with psycopg.connect(location.conninfo, autocommit=True, connect_timeout=10) as conn:
            conn.execute("SET lock_timeout = '30s'")
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(location.schema))
            )
    except psycopg.Error as exc:
        raise translate(exc, location.shown) from exc
