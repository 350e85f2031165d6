"""A shadow vault: a throw-away copy of a vault, re-embedded with another model or storage.

``memvault reembed`` throws every vector away before it embeds again, so a worse model is only
found out afterwards. A shadow answers first: the database is copied from one snapshot into a
temporary folder (same memories, same ids, so the gold judgments apply unchanged), the copy is
opened DB-only with the new embedder and re-embedded there, and the caller scores it beside
the real vault. The real vault is only read; the copy is deleted when the block ends.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from memvault.core.vector_records import VectorStorage
from memvault.service.opening import open_vault
from memvault.service.vault import Vault
from memvault.service.worker import ProgressCallback

SHADOW_FILE = "shadow.db"


@contextmanager
def shadow_vault(
    vault: Vault,
    *,
    embedder: str,
    storage: VectorStorage | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[Vault]:
    """A copy of ``vault`` with every memory embedded by ``embedder``, for the block only."""
    with tempfile.TemporaryDirectory(prefix="memvault-shadow-") as folder:
        path = Path(folder) / SHADOW_FILE
        vault.copy_database(path)
        with open_vault(path, embedder=embedder, background=False, vault=False) as shadow:
            shadow.reembed(storage=storage, progress=progress)
            yield shadow
