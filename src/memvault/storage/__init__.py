"""Persistence: the only package that knows about databases.

Everything above it talks to the role protocols of :mod:`memvault.storage.roles` (``Store`` is
all of them). ``open_store`` picks the engine for a location: a file path (or ``sqlite:///``
URL) is the embedded SQLite engine, a ``postgresql://`` (or ``postgres://``) URL the PostgreSQL
engine.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from memvault.core.errors import ConflictError, InvalidInputError
from memvault.storage.roles import Store

SERVER_SCHEMES = ("postgresql", "postgres")


def open_store(location: str | os.PathLike[str]) -> Store:
    """The store at ``location``: a database file path, a URL naming one, or a PostgreSQL URL
    (``postgresql://...?schema=NAME``)."""
    if not isinstance(location, os.PathLike) and _scheme(str(location)) in SERVER_SCHEMES:
        from memvault.storage.postgres.store import PostgresStore

        return PostgresStore(str(location))
    path = sqlite_path(location)
    from memvault.storage.sqlite.store import SqliteStore

    return SqliteStore(path)


def sqlite_path(location: str | os.PathLike[str]) -> Path:
    """The SQLite file a location names (``PATH``, ``sqlite:///PATH``, ``file:PATH``)."""
    if isinstance(location, os.PathLike):
        return Path(location)
    text = str(location)
    scheme = _scheme(text)
    if not scheme:
        return Path(text)
    if scheme in ("sqlite", "file"):
        parts = urlsplit(text)
        return Path(unquote(parts.netloc + parts.path))
    if scheme in SERVER_SCHEMES:
        raise InvalidInputError(
            f"{scheme}:// names a PostgreSQL store, which lives on its server, not in a file; "
            "this needs a SQLite file (a path or sqlite:///PATH)"
        )
    raise InvalidInputError(f"no storage engine for {scheme}:// (use a path or sqlite:///PATH)")


def _scheme(text: str) -> str:
    """The URL scheme of a location, lower-case; empty for a plain path."""
    return urlsplit(text).scheme.lower() if "://" in text or text.startswith("file:") else ""


def discard_store(location: str | os.PathLike[str]) -> None:
    """Remove the store at ``location`` for good, with everything in it (throw-away stores,
    such as ``memvault eval --db URL``'s). Close it first.

    PostgreSQL: the schema the URL names is dropped; a URL with no ``?schema=`` is refused, so
    the default schema, a user's real store, is never dropped by a slip. SQLite: the database
    file and its journal files are deleted, refused while another process has it open. A store
    that is not there is no error."""
    if not isinstance(location, os.PathLike) and _scheme(str(location)) in SERVER_SCHEMES:
        from memvault.storage.postgres.schema import drop_store

        drop_store(str(location))
        return
    path = sqlite_path(location)
    if database_in_use(path):
        raise ConflictError(f"{path} is open in another process: stop it before discarding it")
    for file in database_files(path):
        file.unlink(missing_ok=True)


def claim_store(location: str) -> bool:
    """Make the place of a new PostgreSQL store, empty, unless it is there already: True when
    made now, False when it was there (with or without a store in it). In one statement, so of
    two that claim one place, one wins; a new owner is never handed an old one's rows."""
    if _scheme(location) not in SERVER_SCHEMES:
        raise InvalidInputError(f"only a PostgreSQL store's schema is claimed, not {location!r}")
    from memvault.storage.postgres.schema import claim_schema

    return claim_schema(location)


def server_connections(locations: list[str]) -> dict[str, tuple[int, int]]:
    """For each PostgreSQL server among ``locations`` (stores' URLs): how many of them it holds
    and how many more connections it takes now. Keyed by the server's URL without schema or
    password; SQLite files have no server and are left out."""
    from memvault.storage.postgres.connection import PostgresLocation
    from memvault.storage.postgres.server_room import connection_room

    servers: dict[str, list[str]] = {}
    for location in locations:
        if _scheme(location) in SERVER_SCHEMES:
            servers.setdefault(PostgresLocation.parse(location).server, []).append(location)
    return {key: (len(urls), connection_room(urls[0])) for key, urls in servers.items()}


# --- database files on this machine, with no connection open (backups, restore) --------------
def database_file_problems(path: Path) -> list[str]:
    """What an integrity check finds in the database file ``path`` (empty: it is sound)."""
    from memvault.storage.sqlite import database_file

    return database_file.problems(path)


def database_in_use(path: Path) -> bool:
    """Whether another process has the database file ``path`` open."""
    from memvault.storage.sqlite import database_file

    return database_file.in_use(path)


def database_files(path: Path) -> list[Path]:
    """The database file ``path`` and the journal files SQLite keeps beside it."""
    from memvault.storage.sqlite import database_file

    return [path, *(Path(f"{path}{suffix}") for suffix in database_file.COMPANIONS)]


def install_database(copy: Path, path: Path) -> None:
    """Put the database file ``copy`` (beside ``path``) in its place; refused while ``path`` is
    open in another process. The old file's journal companions go with it."""
    from memvault.storage.sqlite import database_file

    database_file.install(copy, path)


__all__ = [
    "SERVER_SCHEMES",
    "Store",
    "claim_store",
    "database_file_problems",
    "database_files",
    "database_in_use",
    "discard_store",
    "install_database",
    "open_store",
    "sqlite_path",
]
