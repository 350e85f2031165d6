"""The ChromaDB stores the Chroma source tests read, and how they check what comes back.

Two kinds of store: ``tests/fixtures/chroma_0_6`` (committed, written by chromadb 0.6.3 with
``tests/fixtures/make_chroma_store.py``) and stores that chromadb 1.x (a dev dependency) writes
here at run time from the same operations, scaled to 2,000 records. Every record, metadata value
and vector is checked against the make script's deterministic functions, and for 1.x also
against what chromadb itself returns. The fixtures that hand each test a copy in ``tmp_path``
are in ``conftest.py``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import apsw
import numpy as np

from memvault.importers.readers import chroma_sqlite
from memvault.importers.readers.chroma import ChromaSource
from memvault.importers.readers.hnsw import HEADER, load_id_to_label
from memvault.importers.records import SourceFailure, SourceRecord

FIXTURES = Path(__file__).parent.parent / "fixtures"
STORE_0_6 = FIXTURES / "chroma_0_6"


def _maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_chroma_store", FIXTURES / "make_chroma_store.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mk = _maker()

# chromadb 1.x: the 0.6 operations scaled to 2,000 "notes" (the tail after the last flush
# stays in embeddings_queue), plus a collection with list metadata and a recorded function.
OPS_1X: list[Any] = [
    ("add", "notes", tuple(range(0, 1200)), 0),
    ("delete", "notes", (3, 4, 700), 0),
    ("update_vector", "notes", (5, 6, 701), 1),
    ("add", "notes", tuple(range(1200, 1950)), 0),
    ("add", "metrics", tuple(range(0, 37)), 0),
    ("add", "notes", tuple(range(1950, 2000)), 0),
    ("update_vector", "notes", (10, 11, 1975), 2),
    ("update_meta", "notes", (12, 1976), 3),
    ("update_doc", "notes", (13,), 4),
    ("upsert", "notes", (14, 2000, 2001), 5),
    ("delete", "notes", (15, 1977), 0),
    ("add", "metrics", tuple(range(37, 40)), 0),
    ("update_vector", "metrics", (0,), 6),
]
TAGGED = {
    "tag-1": ("lists of strings", {"tags": ["a", "b"], "n": 1}),
    "tag-2": ("lists of ints", {"nums": [3, 1, 2]}),
    "tag-3": ("lists of floats and bools", {"fs": [0.5, -1.25], "bs": [True, False]}),
    "tag-4": ("no metadata", None),
}


@dataclass
class Store:
    version: str  # "0.6" | "1.x"
    path: Path
    operations: list[Any]
    oracle: dict[str, dict[str, tuple[str | None, dict[str, Any], np.ndarray]]] | None = None

    def expected(
        self, collection: str
    ) -> dict[str, tuple[str | None, dict[str, Any], list[float]]]:
        return mk.expected(collection, self.operations)  # type: ignore[no-any-return]


@dataclass
class Read:
    records: dict[str, SourceRecord]
    failures: dict[str, SourceFailure]
    batches: list[set[str]]  # the ids of each batch (records and failures)
    checkpoints: list[str | None]


def read_all(source: ChromaSource, batch_size: int = 64, resume: str | None = None) -> Read:
    got = Read({}, {}, [], [])
    for batch in source.batches(batch_size=batch_size, resume=resume):
        assert len(batch.records) + len(batch.failures) <= batch_size
        for record in batch.records:
            got.records[record.source_id] = record
        for failure in batch.failures:
            got.failures[failure.source_id] = failure
        got.batches.append(
            {r.source_id for r in batch.records} | {f.source_id for f in batch.failures}
        )
        got.checkpoints.append(batch.checkpoint)
    return got


def _connect(path: Path) -> apsw.Connection:
    return apsw.Connection(
        f"file:{path / 'chroma.sqlite3'}?mode=ro&immutable=1",
        flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI,
    )


def source_order(path: Path, collection: str) -> list[str]:
    """The ids in the metadata segment's insertion order (what the source promises)."""
    conn = _connect(path)
    try:
        rows = conn.execute(
            "SELECT e.embedding_id FROM embeddings e JOIN segments s ON s.id = e.segment_id "
            "JOIN collections c ON c.id = s.collection WHERE c.name = ? AND s.scope = 'METADATA' "
            "ORDER BY e.id",
            (collection,),
        ).fetchall()
        return [str(r[0]) for r in rows]
    finally:
        conn.close()


def snapshot(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` with its SHA-256 (directories as ``<dir>``)."""
    return {
        str(p.relative_to(directory)): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
        )
        for p in sorted(directory.rglob("*"))
    }


def pending_vector_ids(path: Path, collection: str) -> set[str]:
    """Ids with a vector write in embeddings_queue after the HNSW segment's last flush."""
    conn = _connect(path)
    try:
        (cid,) = conn.execute("SELECT id FROM collections WHERE name = ?", (collection,)).fetchone()
        (segment,) = conn.execute(
            "SELECT id FROM segments WHERE collection = ? AND scope = 'VECTOR'", (cid,)
        ).fetchone()
        row = conn.execute(
            "SELECT seq_id FROM max_seq_id WHERE segment_id = ?", (segment,)
        ).fetchone()
        flushed = 0 if row is None else row[0]
        flushed = int.from_bytes(flushed, "big") if isinstance(flushed, bytes) else int(flushed)
        rows = conn.execute(
            "SELECT id FROM embeddings_queue WHERE topic LIKE ? AND seq_id > ? "
            "AND vector IS NOT NULL AND operation IN (0, 1, 2)",
            ("%/" + cid, flushed),
        ).fetchall()
        return {str(r[0]) for r in rows}
    finally:
        conn.close()


def hnsw_slots(folder: Path) -> tuple[dict[str, int], int, int]:
    """Independent look at an intact segment: id -> element index, element count, size."""
    header = HEADER.unpack_from((folder / "header.bin").read_bytes())
    count, size, label_offset = header[3], header[4], header[5]
    data = (folder / "data_level0.bin").read_bytes()
    by_label = {}
    for i in range(count):
        (label,) = struct.unpack_from("<Q", data, i * size + label_offset)
        if not data[i * size + 2] & 1:
            by_label[label] = i
    mapping, _ = load_id_to_label(folder / "index_metadata.pickle")
    return {k: by_label[v] for k, v in mapping.items() if v in by_label}, count, size


def assert_matches(
    store: Store, collection: str, got: Read, lost: frozenset[str] | set[str] = frozenset()
) -> None:
    """Every record as expected; exactly the ``lost`` ids without a vector."""
    want = store.expected(collection)
    assert set(got.records) | set(got.failures) == set(want)
    assert set(got.failures) == {k for k, (doc, _, _) in want.items() if doc is None}
    missing = {k for k, r in got.records.items() if r.vector is None}
    assert missing == lost - set(got.failures)
    for key, record in got.records.items():
        doc, meta, vec = want[key]
        assert record.content == doc, key
        assert record.metadata == meta, key
        assert all(type(record.metadata[k]) is type(v) for k, v in meta.items()), key
        assert record.created_at == meta.get("created_at"), key
        assert record.updated_at is None
        if key not in lost:
            assert record.vector is not None and record.vector.dtype == np.float32, key
            np.testing.assert_allclose(record.vector, vec, rtol=2e-6, atol=2e-6, err_msg=key)
        if store.oracle is not None:
            odoc, ometa, ovec = store.oracle[collection][key]
            assert (record.content, record.metadata) == (odoc, ometa), key
            if key not in lost:
                np.testing.assert_allclose(record.vector, ovec, rtol=2e-6, atol=2e-6, err_msg=key)


# -- building the 1.x store ---------------------------------------------------------------------

# Runs in a child process, so that no chromadb client of the test process can touch the store
# afterwards: applies the operations, checks them against chromadb's own view, adds "tagged",
# and writes what chromadb returns for every collection (the oracle) as JSON.
BUILD_1X = """
import importlib.util, json, sys
import chromadb
from chromadb.config import Settings
from chromadb.utils.embedding_functions import DefaultEmbeddingFunction

maker, path, out = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("make_chroma_store", maker)
mk = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mk)
job = json.load(sys.stdin)
ops = [(op, name, tuple(numbers), version) for op, name, numbers, version in job["operations"]]
client = chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))
mk.apply(client, ops)
mk.check(client, ops)
# the default function is recorded in the config; explicit embeddings mean it never runs
tagged = client.create_collection("tagged", embedding_function=DefaultEmbeddingFunction())
tagged.add(**job["tagged"])
oracle = {}
for name in [*mk.COLLECTIONS, "tagged"]:
    got = client.get_collection(name).get(include=["documents", "metadatas", "embeddings"])
    rows = zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
    oracle[name] = {key: [doc, meta or {}, [float(x) for x in vec]] for key, doc, meta, vec in rows}
with open(out, "w") as handle:
    json.dump({"version": chromadb.__version__, "oracle": oracle}, handle)
"""


def _build_1x(path: Path, out: Path) -> None:
    job = {
        "operations": OPS_1X,
        "tagged": {
            "ids": list(TAGGED),
            "embeddings": [[float(i), 0.5, -1.0, 2.0] for i in range(len(TAGGED))],
            "documents": [doc for doc, _ in TAGGED.values()],
            "metadatas": [meta for _, meta in TAGGED.values()],
        },
    }
    shutil.rmtree(path, ignore_errors=True)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            BUILD_1X,
            str(FIXTURES / "make_chroma_store.py"),
            str(path),
            str(out),
        ],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def collection_names(directory: Path) -> list[str]:
    """Names of the collections in a Chroma directory, read as the source reads them."""
    _, db = chroma_sqlite.open_directory(directory)
    try:
        return sorted(c.name for c in chroma_sqlite.collections(db))
    finally:
        db.close()
