"""The ChromaDB source: a persistent directory read from its files, never written.

Two kinds of store: ``tests/fixtures/chroma_0_6`` (committed, written by chromadb 0.6.3 with
``tests/fixtures/make_chroma_store.py``) and stores that chromadb 1.x (a dev dependency) writes
here at run time from the same operations, scaled to 2,000 records. Every record, metadata value
and vector is checked against the make script's deterministic functions, and for 1.x also
against what chromadb itself returns. Each test reads a copy in ``tmp_path``.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import apsw
import numpy as np
import pytest

from memvault.errors import InvalidInputError, StorageError
from memvault.importers.source import SourceFailure, SourceRecord
from memvault.storage.sources.chroma import ChromaSource, list_collections
from memvault.storage.sources.hnsw import HEADER, load_id_to_label

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


# -- stores --------------------------------------------------------------------------------------


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


@pytest.fixture(scope="session")
def built_1x(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Built once per test session: the xdist workers share it (under a lock) and only copy it."""
    if importlib.util.find_spec("chromadb") is None:
        pytest.fail("chromadb (1.x) is a dev dependency: pip install -e '.[dev]'", pytrace=False)
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "chroma1x"
    root.mkdir(exist_ok=True)
    path, out = root / "store", root / "oracle.json"
    with (root / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            _build_1x(path, out)
    built = json.loads(out.read_text())
    assert int(built["version"].split(".")[0]) >= 1, built["version"]
    oracle = {
        name: {key: (doc, meta, np.asarray(vec)) for key, (doc, meta, vec) in records.items()}
        for name, records in built["oracle"].items()
    }
    return Store("1.x", path, OPS_1X, oracle)


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


@pytest.fixture
def store_0_6(tmp_path: Path) -> Store:
    path = tmp_path / "chroma_0_6"
    shutil.copytree(STORE_0_6, path)
    return Store("0.6", path, mk.OPERATIONS)


@pytest.fixture
def store_1x(built_1x: Store, tmp_path: Path) -> Store:
    path = tmp_path / "chroma_1x"
    shutil.copytree(built_1x.path, path)
    return Store("1.x", path, built_1x.operations, built_1x.oracle)


@pytest.fixture(params=["0.6", "1.x"])
def store(request: pytest.FixtureRequest) -> Store:
    made: Store = request.getfixturevalue("store_0_6" if request.param == "0.6" else "store_1x")
    return made


@pytest.fixture
def open_source() -> Iterator[Any]:
    opened: list[ChromaSource] = []

    def make(path: Path, collection: str | None = None) -> ChromaSource:
        source = ChromaSource(path, collection)
        opened.append(source)
        return source

    yield make
    for source in opened:
        source.close()


# -- reading whole stores ------------------------------------------------------------------------


def test_the_committed_fixture_is_small_and_from_chromadb_0_6() -> None:
    size = sum(p.stat().st_size for p in STORE_0_6.rglob("*") if p.is_file())
    assert size < 2 * 1024 * 1024
    conn = _connect(STORE_0_6)
    try:  # the 0.x layout: no schema_str, seq ids as big-endian BLOBs
        columns = {row[1] for row in conn.execute("PRAGMA table_info(collections)")}
        assert "schema_str" not in columns
        assert {type(r[0]) for r in conn.execute("SELECT seq_id FROM max_seq_id")} == {bytes}
    finally:
        conn.close()


@pytest.mark.parametrize("collection", list(mk.COLLECTIONS))
def test_every_record_metadata_and_vector_comes_back(
    store: Store, collection: str, open_source: Any
) -> None:
    source = open_source(store.path, collection)
    got = read_all(source, batch_size=53)
    assert_matches(store, collection, got)
    assert source.count() == len(store.expected(collection))
    assert source.lost_vectors == ()
    assert source.vector_problems == ()
    assert source.search("anything", 5) is None


def test_vectors_come_from_both_the_index_and_the_queue(store: Store, open_source: Any) -> None:
    source = open_source(store.path, "notes")
    pending = pending_vector_ids(store.path, "notes")
    assert source.index_folder is not None
    slots, _, _ = hnsw_slots(source.index_folder)
    want = store.expected("notes")
    from_index = set(want) - pending
    assert len(pending & set(want)) >= 5, "the store should hold unflushed writes"
    assert len(from_index) > 200 and from_index <= set(slots)
    # an update waiting in the queue overrides the vector the index still holds
    updated = mk.chroma_id("notes", 10)
    assert updated in pending and updated in slots
    got = read_all(source)
    np.testing.assert_allclose(got.records[updated].vector, want[updated][2], rtol=2e-6)


def test_cosine_vectors_are_scaled_back_to_their_length(store: Store, open_source: Any) -> None:
    got = read_all(open_source(store.path, "notes"))
    norms = [float(np.linalg.norm(r.vector)) for r in got.records.values() if r.vector is not None]
    assert max(norms) > 2  # not the unit vectors hnswlib keeps for the cosine space


def test_records_come_in_a_stable_order_and_resume_after_each_checkpoint(
    store: Store, open_source: Any
) -> None:
    source = open_source(store.path, "notes")
    order = source_order(store.path, "notes")
    assert len(order) == source.count() == len(set(order))
    full = read_all(source, batch_size=37)
    assert full.batches == [set(order[i : i + 37]) for i in range(0, len(order), 37)]
    assert read_all(source, batch_size=37).checkpoints == full.checkpoints
    for index, checkpoint in enumerate(full.checkpoints):
        rest = read_all(source, batch_size=37, resume=checkpoint)
        assert rest.batches == full.batches[index + 1 :], index
    with pytest.raises(InvalidInputError):
        read_all(source, resume="not-a-checkpoint")


def test_list_metadata_and_the_recorded_embedding_function_1x(
    store_1x: Store, open_source: Any
) -> None:
    source = open_source(store_1x.path, "tagged")
    got = read_all(source)
    assert store_1x.oracle is not None
    for key, (doc, meta) in TAGGED.items():
        assert got.records[key].content == doc
        assert got.records[key].metadata == (meta or {}) == store_1x.oracle["tagged"][key][1]
    assert "'default'" in (source.vector_note or "")
    assert "4-d" in (source.vector_note or "")


def test_name_note_and_collection_choice(store: Store, open_source: Any) -> None:
    names = sorted([*mk.COLLECTIONS, *(["tagged"] if store.version == "1.x" else [])])
    assert list_collections(store.path) == names
    source = open_source(store.path, "notes")
    assert source.name == f"chroma://{store.path.resolve()}/notes"
    note = source.vector_note or ""
    assert "16-d" in note and "cosine" in note and "not recorded" in note
    assert "l2 space" in (open_source(store.path, "metrics").vector_note or "")
    with pytest.raises(InvalidInputError) as several:
        ChromaSource(store.path)
    assert all(name in str(several.value) for name in names)
    with pytest.raises(InvalidInputError) as unknown:
        ChromaSource(store.path, "nope")
    assert "nope" in str(unknown.value) and "notes" in str(unknown.value)


def test_the_only_collection_is_chosen_without_a_name(tmp_path: Path, open_source: Any) -> None:
    path = tmp_path / "one"
    shutil.copytree(STORE_0_6, path)
    conn = apsw.Connection(str(path / "chroma.sqlite3"))  # a copy, made single-collection
    conn.execute("DELETE FROM collections WHERE name = 'metrics'")
    conn.close()
    assert open_source(path).name.endswith("/notes")


def test_created_at_only_from_a_metadata_key(store_0_6: Store, open_source: Any) -> None:
    got = read_all(open_source(store_0_6.path, "notes"))
    dated = {k for k, r in got.records.items() if r.created_at is not None}
    assert dated == {k for k, r in got.records.items() if "created_at" in r.metadata}
    assert got.records[mk.chroma_id("notes", 20)].created_at == "2024-01-21T08:30:00+00:00"


# -- damaged stores ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage", ["truncate_data", "delete_pickle", "delete_folder", "truncate_header"]
)
def test_a_damaged_index_loses_exactly_the_vectors_it_held(
    store: Store, damage: str, open_source: Any
) -> None:
    with ChromaSource(store.path, "notes") as intact:
        folder = intact.index_folder
    assert folder is not None
    slots, count, size = hnsw_slots(folder)
    pending = pending_vector_ids(store.path, "notes")
    want = set(store.expected("notes"))
    if damage == "truncate_data":
        keep = count // 2
        with (folder / "data_level0.bin").open("r+b") as handle:
            handle.truncate(keep * size + size // 2)  # half an element more: unreadable
        lost = {k for k, slot in slots.items() if slot >= keep} & want - pending
    elif damage == "delete_pickle":
        (folder / "index_metadata.pickle").unlink()
        lost = want - pending
    elif damage == "truncate_header":
        (folder / "header.bin").write_bytes((folder / "header.bin").read_bytes()[:50])
        lost = want - pending
    else:
        shutil.rmtree(folder)
        lost = want - pending
    assert 50 < len(lost) < len(want)

    source = open_source(store.path, "notes")
    got = read_all(source)
    assert_matches(store, "notes", got, lost)
    assert source.lost_vectors == tuple(k for k in source_order(store.path, "notes") if k in lost)
    assert source.vector_problems and all("\n" not in p for p in source.vector_problems)


def test_a_missing_length_file_gives_unit_vectors_in_the_same_direction(
    store: Store, open_source: Any
) -> None:
    with ChromaSource(store.path, "notes") as intact:
        folder = intact.index_folder
    assert folder is not None
    (folder / "length.bin").unlink()
    source = open_source(store.path, "notes")
    got = read_all(source)
    assert source.lost_vectors == ()
    assert any("length.bin" in p for p in source.vector_problems)
    pending = pending_vector_ids(store.path, "notes")
    want = store.expected("notes")
    for key, record in got.records.items():
        assert record.vector is not None
        expected = np.asarray(want[key][2], dtype=np.float32)
        if key not in pending:
            expected = expected / np.linalg.norm(expected)
        np.testing.assert_allclose(record.vector, expected, rtol=2e-6, atol=2e-6)


class _Boom:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("payload", ["os_system", "builtins_exec", "stand_in_with_args"])
def test_a_hostile_pickle_is_refused_not_run(
    store_0_6: Store, payload: str, tmp_path: Path, open_source: Any
) -> None:
    marker = tmp_path / "pwned"
    if payload == "os_system":
        data = pickle.dumps(_Boom(marker))
    elif payload == "builtins_exec":
        code = f"open({str(marker)!r}, 'w').close()"
        data = b"cbuiltins\nexec\n(" + pickle.dumps(code, protocol=0)[:-1] + b"tR."
    else:  # the one allowed name, called with arguments: still nothing runs
        module, name = "chromadb.segment.impl.vector.local_persistent_hnsw", "PersistentData"
        data = f"c{module}\n{name}\n(S'x'\ntR.".encode()
    with ChromaSource(store_0_6.path, "notes") as intact:
        folder = intact.index_folder
    assert folder is not None
    (folder / "index_metadata.pickle").write_bytes(data)
    source = open_source(store_0_6.path, "notes")
    got = read_all(source)
    assert not marker.exists()
    assert source.lost_vectors and len(got.records) + len(got.failures) == source.count()
    assert any("index_metadata.pickle" in p for p in source.vector_problems)


# -- never writing, and refusing what is not a store ---------------------------------------------


def test_a_full_read_changes_no_byte_and_adds_no_file(store: Store) -> None:
    before = snapshot(store.path)
    assert list_collections(store.path)
    for collection in mk.COLLECTIONS:
        with ChromaSource(store.path, collection) as source:
            read_all(source, batch_size=100)
            assert source.count() > 0 and source.lost_vectors == ()
            _ = source.vector_note, source.name
    assert snapshot(store.path) == before


def test_a_leftover_journal_is_rolled_back_in_a_private_copy(
    store_0_6: Store, open_source: Any
) -> None:
    """A writer that died mid-transaction leaves changed pages and a hot -journal: the reader
    must not see the half-written data, and must not roll it back in the user's directory."""
    db = store_0_6.path / "chroma.sqlite3"
    crash = (
        "import apsw, os, sys\n"
        "c = apsw.Connection(sys.argv[1])\n"
        "c.execute('PRAGMA cache_size = 1')\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "c.execute(\"UPDATE embedding_metadata SET string_value = 'HALF ' || string_value\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash, str(db)], check=True)
    assert (store_0_6.path / "chroma.sqlite3-journal").stat().st_size > 0
    assert b"HALF " in db.read_bytes(), "the crash should have spilled pages into the file"
    before = snapshot(store_0_6.path)
    got = read_all(open_source(store_0_6.path, "notes"))
    assert_matches(store_0_6, "notes", got)
    assert snapshot(store_0_6.path) == before


def _single_line(exc: BaseException) -> None:
    assert str(exc) and "\n" not in str(exc)


@pytest.mark.parametrize("case", ["missing", "empty", "not_chroma", "file_not_dir"])
def test_a_directory_that_is_not_a_chroma_store_is_refused(tmp_path: Path, case: str) -> None:
    path = tmp_path / "dir"
    if case != "missing":
        path.mkdir()
    if case == "not_chroma":
        conn = apsw.Connection(str(path / "chroma.sqlite3"))
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.close()
    if case == "file_not_dir":
        path.rmdir()
        path.write_text("hello")
    before = snapshot(tmp_path)
    with pytest.raises(InvalidInputError) as info:
        ChromaSource(path)
    _single_line(info.value)
    with pytest.raises(InvalidInputError):
        list_collections(path)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_database_file_is_one_clear_error(store_0_6: Store, damage: str) -> None:
    db = store_0_6.path / "chroma.sqlite3"
    data = db.read_bytes()
    db.write_bytes(b"not a database at all " * 500 if damage == "garbage" else data[: 16 * 4096])
    before = snapshot(store_0_6.path)
    with (
        pytest.raises((StorageError, InvalidInputError)) as info,
        ChromaSource(store_0_6.path, "notes") as source,
    ):
        read_all(source)
    _single_line(info.value)
    assert snapshot(store_0_6.path) == before
