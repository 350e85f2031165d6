"""Per-invocation CLI state: which vault the global options point at, opened lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

import memvault
from memvault.home import database_path
from memvault.vault import Vault


@dataclass
class CliState:
    db_path: Path
    _vault: Vault | None = field(default=None, repr=False)

    def vault(self) -> Vault:
        if self._vault is None:
            self._vault = memvault.open(self.db_path)
        return self._vault

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
            self._vault = None


def state(ctx: typer.Context) -> CliState:
    found = ctx.find_root().obj
    if not isinstance(found, CliState):  # only when a command is invoked outside `app`
        found = CliState(database_path(None))
        ctx.find_root().obj = found
    return found
