from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import memvault
from memvault.vault import Vault


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def vault(home: Path) -> Iterator[Vault]:
    with memvault.open(home) as opened:
        yield opened
