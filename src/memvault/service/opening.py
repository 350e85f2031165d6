"""Opening a vault: a home folder, a database file, or a store URL.

A home folder keeps its memories and notes as Markdown in ``HOME/vault`` too (the truth the
index is rebuilt from); a database file, a URL, ``vault=False``, or a home initialised with
``memvault init --no-vault`` is DB-only. A home with ``db=URL`` keeps its Markdown folder (and
logs) in the home and its index in the store the URL names, say PostgreSQL: the folder works the
same over either engine.
"""

from __future__ import annotations

import os

from memvault.core.errors import InvalidInputError
from memvault.core.home import database_path, folder_path, is_url, resolve_home, vault_exists
from memvault.embedding.base import Embedder
from memvault.service.embeddings import Embeddings
from memvault.service.vault import FOLDER_SETTING, Vault
from memvault.storage import open_store


def open_vault(
    home_or_db: str | os.PathLike[str] | None = None,
    *,
    embedder: str | Embedder | None = None,
    vector_storage: str | None = None,
    background: bool = True,
    vault: bool | None = None,
    create: bool = True,
    db: str | None = None,
) -> Vault:
    """Open (creating if needed) the vault at a home folder, ``.db`` file or store URL.

    With ``create=False`` a vault that is not there is an error instead: a mistyped home on a
    read must not leave an empty vault (and its parent folders) behind.

    With no argument the home is ``MEMVAULT_HOME`` or ``~/.memvault``. ``embedder`` is a spec
    such as ``bundled``, ``hash:384``, ``ollama:MODEL`` or ``none`` (see
    :mod:`memvault.embedding.factory`), or an ``Embedder``; by default the vault's own setting.
    With ``background`` a worker thread embeds new memories; otherwise they wait for
    :meth:`Vault.wait_for_jobs`. ``db`` names the store by URL while ``home_or_db`` gives the
    home whose Markdown folder goes with it (no home: DB-only).
    """
    if db is not None and not is_url(db):
        raise InvalidInputError(f"db must be a store URL (postgresql://…), not {db!r}")
    if db is None and not create and not vault_exists(home_or_db):
        raise InvalidInputError(
            f"no vault at {resolve_home(home_or_db)}: check --home / MEMVAULT_HOME "
            "(memvault init creates one)"
        )
    url = is_url(home_or_db)
    if db is not None:
        store = open_store(db)
    else:
        store = open_store(str(home_or_db) if url else database_path(home_or_db))
    try:
        db_only = url or vault is False or (db is not None and home_or_db is None)
        folder = None if db_only else folder_path(home_or_db)
        if vault is None and store.get_setting(FOLDER_SETTING) == "off":
            folder = None
        embeddings = Embeddings(
            store, store, embedder=embedder, storage=vector_storage, background=background
        )
        try:
            return Vault(store, embeddings=embeddings, folder=folder)
        except BaseException:
            embeddings.close()
            raise
    except BaseException:
        store.close()
        raise
