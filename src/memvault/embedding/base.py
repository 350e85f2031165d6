"""The one contract every embedding provider keeps, and the one error they all raise.

The storage and search layers only ever see an ``Embedder``: which model produced a vector is
recorded through ``model_id`` (so a model change under existing vectors can be detected) and the
vector width through ``dimensions`` (so a wrong-sized vector never reaches the index). Providers
turn every failure into ``EmbeddingError`` with a one-line message, because the CLI, the API and
the job queue show that line to a person as it is.

This module imports nothing heavy: ``import memvault.embedding`` must stay cheap for CLI start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeAlias

from memvault.core.errors import MemvaultError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    # (n, d) for documents, (d,) for a query; float32 and L2-normalised.
    Vectors: TypeAlias = npt.NDArray[np.float32]


class EmbeddingError(MemvaultError):
    """An embedding could not be computed; the message is one line meant for a person."""

    def __init__(self, message: str) -> None:
        # Remote servers put newlines and pages of HTML in their errors: keep one short line.
        line = " ".join(message.split())
        super().__init__(line if len(line) <= 400 else line[:397] + "...")


class Embedder(Protocol):
    """Turns text into unit-length float32 vectors.

    ``embed_documents`` and ``embed_query`` are separate because some models (e5, nomic) embed
    a query and a passage differently; for the others they do the same thing.

    Deliberately not ``runtime_checkable``: on Python 3.11 ``isinstance`` would read
    ``dimensions``, and a remote embedder that has not seen a vector yet answers that by asking
    its server. Conformance is checked statically (mypy) instead.
    """

    @property
    def model_id(self) -> str:
        """Stable id stored with every vector, e.g. ``all-MiniLM-L6-v2-int8``."""
        ...

    @property
    def dimensions(self) -> int:
        """Width of every vector this embedder returns."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed texts to be stored: a float32 array of shape (len(texts), dimensions)."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """Embed one search query: a float32 array of shape (dimensions,)."""
        ...
