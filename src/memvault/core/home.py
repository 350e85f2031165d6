"""Where a vault lives: ``--home``/``--db``, then ``MEMVAULT_HOME``, then ``~/.memvault``.

A home is a folder holding ``memvault.db`` and the Markdown ``vault/``. A path that names a
``.db`` file is used as the database itself, with no Markdown folder (DB-only mode, for
high-volume use and callers that manage files directly).
"""

from __future__ import annotations

import os
from pathlib import Path

DB_FILE_NAME = "memvault.db"
FOLDER_NAME = "vault"
LOG_FOLDER = "logs"
HOME_ENV = "MEMVAULT_HOME"
_DB_SUFFIXES = {".db", ".sqlite", ".sqlite3"}


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".memvault"


def database_path(home_or_db: str | os.PathLike[str] | None = None) -> Path:
    path = resolve_home(home_or_db)
    if path.suffix.lower() in _DB_SUFFIXES or path.is_file():
        return path
    return path / DB_FILE_NAME


def folder_path(home_or_db: str | os.PathLike[str] | None = None) -> Path | None:
    """The Markdown folder of a home (``HOME/vault``); None when a database file is named
    directly, which is DB-only mode."""
    path = resolve_home(home_or_db)
    if path.suffix.lower() in _DB_SUFFIXES or path.is_file():
        return None
    return path / FOLDER_NAME


def log_path(home_or_db: str | os.PathLike[str] | None = None) -> Path:
    """The log file: ``HOME/logs/memvault.log``, or ``FILE.db.log`` beside a database file."""
    db = database_path(home_or_db)
    if folder_path(home_or_db) is None:
        return db.with_name(f"{db.name}.log")
    return db.parent / LOG_FOLDER / "memvault.log"


def is_url(location: str | os.PathLike[str] | None) -> bool:
    """Whether a location names a store by URL (``sqlite:///…``, ``postgresql://…``) rather
    than a home folder or a database file."""
    return isinstance(location, str) and "://" in location


def vault_exists(home_or_db: str | os.PathLike[str] | None = None) -> bool:
    """Whether a vault is there already: its database file, or a home holding a database or a
    Markdown folder (an index deleted on purpose is rebuilt from the folder). A store URL is
    the server's business."""
    if is_url(home_or_db):
        return True
    folder = folder_path(home_or_db)
    return database_path(home_or_db).is_file() or (folder is not None and folder.is_dir())
