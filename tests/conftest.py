from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import memvault
from memvault.service.vault import Vault
from tests.postgres_server import postgres_database, postgres_url  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _fast_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests embed with the deterministic hash embedder and no detached CLI workers.

    Tests of the real model and of the hand-off to a background process opt back in by setting
    these variables themselves (or passing ``embedder=`` explicitly).
    """
    monkeypatch.setenv("MEMVAULT_EMBEDDER", "hash")
    monkeypatch.setenv("MEMVAULT_BACKGROUND", "0")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def vault(home: Path) -> Iterator[Vault]:
    with memvault.open(home) as opened:
        yield opened
