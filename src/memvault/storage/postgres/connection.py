"""Where a PostgreSQL store is, how to reach it, and its errors in words a user can act on.

A store is one schema of one database: ``postgresql://user@host:port/db?schema=NAME`` (the
``schema`` parameter is memvault's own and is taken out of the URL before libpq sees it;
without it the store is schema ``memvault``). A schema per store is what lets several vaults, or
the contract tests, share a database without seeing each other's rows.

Connections come from a ``psycopg_pool`` pool: each gets the store's ``search_path`` (its schema,
then ``public`` where the ``vector`` extension lives), once, when the pool makes it. The pool
keeps one connection and grows to 8 under load; ``pool_max=N``, memvault's other parameter,
makes it a small pool that keeps none while idle and never holds more than N (a server of many
stores, such as a hosted one, so its connections stay within the server's ``max_connections``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from memvault.core.errors import (
    DiskFullError,
    InvalidInputError,
    StorageBusyError,
    StorageError,
)

DEFAULT_SCHEMA = "memvault"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
OWN_PARAMETERS = ("schema", "pool_max")
POOL_MAX_LIMIT = 64
# SQLSTATEs after which the whole transaction is simply run again: a serialization failure or a
# deadlock means another transaction won a race, not that this one was wrong.
RETRY_STATES = frozenset({"40001", "40P01"})


@dataclass(frozen=True, slots=True)
class PostgresLocation:
    """A store's URL taken apart: what libpq connects to, the schema, and the URL to show."""

    conninfo: str  # the URL without memvault's own parameters
    schema: str
    shown: str  # for messages: no password
    pool_max: int | None = None  # a small pool of at most this many connections; None: default

    @property
    def server(self) -> str:
        """The server and database it connects to, without password or schema: the stores
        that share it share that server's connections."""
        return _without_password(urlsplit(self.conninfo))

    @classmethod
    def parse(cls, url: str) -> PostgresLocation:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = next((value for key, value in query if key == "schema"), DEFAULT_SCHEMA)
        if not _SCHEMA_NAME.match(schema):
            raise InvalidInputError(
                f"schema {schema!r} in {_without_password(parts)}: use lower-case letters, digits "
                "and _ (at most 63, not starting with a digit)"
            )
        rest = urlencode([(key, value) for key, value in query if key not in OWN_PARAMETERS])
        conninfo = urlunsplit(parts._replace(query=rest))
        shown = _without_password(parts._replace(query=rest))
        if schema != DEFAULT_SCHEMA:
            shown += ("&" if rest else "?") + f"schema={schema}"
        given = next((value for key, value in query if key == "pool_max"), None)
        return cls(conninfo, schema, shown, None if given is None else _pool_max(given, shown))


def _pool_max(text: str, shown: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= POOL_MAX_LIMIT:
        raise InvalidInputError(
            f"pool_max={text!r} in {shown}: give a whole number of connections, 1 to "
            f"{POOL_MAX_LIMIT}"
        )
    return int(text)


def _without_password(parts: SplitResult) -> str:
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def configure(schema: str) -> Callable[[psycopg.Connection[Any]], None]:
    """The pool's ``configure`` callback: the store's search path on a new connection.
    pgvector's types are registered where vectors are read or written (``vectors.use_types``),
    so a connection that never touches one costs no lookup and loads no pgvector."""

    def setup(conn: psycopg.Connection[Any]) -> None:
        conn.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(schema)))
        conn.commit()

    return setup


def translate(exc: psycopg.Error, where: str) -> StorageError:
    """A psycopg error as one line that says what happened to the store at ``where``."""
    state = exc.sqlstate or ""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, psycopg.OperationalError) and not state:
        return StorageError(f"PostgreSQL at {where} is not reachable ({detail})")
    if state in RETRY_STATES or state == "55P03":  # lock not available
        return StorageBusyError(f"PostgreSQL at {where} is busy: {detail}")
    if state == "53100":
        return DiskFullError(
            f"disk full on the PostgreSQL server at {where}; nothing from this write was kept"
        )
    if state.startswith("28"):
        return StorageError(f"PostgreSQL at {where} refused the login ({detail})")
    if state == "3D000":
        return StorageError(f"PostgreSQL at {where}: {detail} (create it first)")
    if state == "25006":
        return StorageError(f"PostgreSQL at {where} is read-only ({detail}); nothing was written")
    return StorageError(f"database error on {where}: {detail}")
