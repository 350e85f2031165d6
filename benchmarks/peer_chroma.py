"""ChromaDB as a user would run it beside an agent: a PersistentClient in a folder, one
collection with its default HNSW index, documents added in batches with their embeddings, and
queries by precomputed embedding that return the documents.

Chroma has no ranked keyword search (``where_document`` filters by substring, unranked), so it
has no keyword or hybrid rows. Its default space is L2, which on unit vectors orders exactly as
cosine does.
"""

from __future__ import annotations

import os
from pathlib import Path

import chromadb
import numpy as np
import numpy.typing as npt
from chromadb.config import Settings

Matrix = npt.NDArray[np.float32]
Hit = tuple[int, str]


class ChromaStore:
    """ids are the corpus rows as strings."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.client = chromadb.PersistentClient(
            path=str(folder), settings=Settings(anonymized_telemetry=False)
        )
        self.collection = self.client.get_or_create_collection("bench")

    def insert(self, first_row: int, texts: list[str], vectors: Matrix) -> None:
        self.collection.add(
            ids=[str(first_row + i) for i in range(len(texts))],
            embeddings=vectors,
            documents=texts,
        )

    def vector(self, vector: Matrix, k: int) -> list[Hit]:
        result = self.collection.query(
            query_embeddings=vector.reshape(1, -1), n_results=k, include=["documents"]
        )
        documents = result["documents"]
        assert documents is not None
        return [(int(i), str(text)) for i, text in zip(result["ids"][0], documents[0], strict=True)]

    def count(self) -> int:
        return self.collection.count()

    def close(self) -> None:
        """Chroma 1.x has no close; dropping the client's system releases the files."""
        self.client.clear_system_cache()

    def file_bytes(self) -> int:
        return sum(
            (Path(root) / name).stat().st_size
            for root, _dirs, files in os.walk(self.folder)
            for name in files
        )
