"""Per-invocation CLI state: which vault the global options point at, opened lazily.

A CLI process lives for a fraction of a second, too short to embed anything in the background.
So when a command leaves embed jobs queued and no live worker is on them, closing the state hands
them to a detached ``memvault jobs --wait`` process: the user's next search finds the memory by
meaning too, and this command still returns at once. ``MEMVAULT_BACKGROUND=0`` turns that off.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

import memvault
from memvault.core.errors import InvalidInputError
from memvault.core.home import database_path, resolve_home

if TYPE_CHECKING:  # the service layer loads when a command opens the vault, not at start-up
    from memvault.service.vault import Vault

BACKGROUND_ENV = "MEMVAULT_BACKGROUND"
DB_ENV = "MEMVAULT_DB"


@dataclass
class CliState:
    database: Path | str  # the database file, or a store URL (``--db postgresql://…``)
    embedder: str | None = None
    home: Path | None = None  # the --home / MEMVAULT_HOME folder; None with --db (DB-only)
    wrote: bool = False  # set by commands that may have queued embed jobs
    _vault: Vault | None = field(default=None, repr=False)

    @property
    def url(self) -> str | None:
        """The store URL when ``--db`` names a server store, else None."""
        return self.database if isinstance(self.database, str) else None

    @property
    def location(self) -> Path:
        """Where this vault's own files go (gold set, logs, a restore): the home folder, or
        the database file (``--db FILE``). A server store has no such place unless ``--home``
        gives one."""
        if self.home is not None:
            return self.home
        if isinstance(self.database, str):
            raise InvalidInputError(
                "this command keeps files of its own: give --home (a folder for them) with --db URL"
            )
        return self.database

    @property
    def shown(self) -> str:
        """The database for messages (a URL without its password)."""
        return str(self.database) if self._vault is None else self._vault.location

    def vault(self, *, background: bool = False, create: bool = False) -> Vault:
        """The vault, opened on first use. ``background`` runs an embedding worker thread
        (long-running commands such as serve); a short command hands its jobs off on close.
        Only commands that put something in (``create``: init, remember, index, import, …)
        make a vault that is not there; any other command names a mistyped home."""
        if self._vault is None:
            self._vault = memvault.open(
                self.home if self.url is not None else self.location,
                embedder=self.embedder,
                background=background,
                create=create,
                db=self.url,
            )
        return self._vault

    def close(self) -> None:
        if self._vault is None:
            return
        vault, self._vault = self._vault, None
        try:
            if self.wrote and os.environ.get(BACKGROUND_ENV, "1") != "0":
                self._hand_off_jobs(vault)
        finally:
            vault.close()

    def _hand_off_jobs(self, vault: Vault) -> None:
        if not vault.vector_settings().enabled or not vault.jobs().queued:
            return
        if vault.worker_running():
            return  # a running worker drains until nothing is pending, ours included
        command = [sys.executable, "-m", "memvault.cli.app"]
        env = dict(os.environ)
        if self.url is not None:  # by environment: a password stays out of the process list
            env[DB_ENV] = self.url
            if self.home is not None:
                command += ["--home", str(self.home)]
        else:
            command += ["--db", vault.location]
        if self.embedder:
            command += ["--embedder", self.embedder]
        subprocess.Popen(
            [*command, "jobs", "--wait", "--quiet"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )


def state(ctx: typer.Context) -> CliState:
    found = ctx.find_root().obj
    if not isinstance(found, CliState):  # only when a command is invoked outside `app`
        found = CliState(database_path(None), home=resolve_home(None))
        ctx.find_root().obj = found
    return found
