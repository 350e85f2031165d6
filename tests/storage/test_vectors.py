"""Vectors in the sqlite-vec table: written per storage kind, searched, kept current, migrated.

Most tests use ``ToyEmbedder``, which hands out vectors chosen by the test, so that which memory
is nearest is known exactly. Its vectors are ±1 patterns (scaled to unit length): a pattern with
``n`` signs flipped from the query has cosine ``1 - 2n/d`` to it in float32, in int8 and in bit
storage alike, so one expected order holds for every storage kind.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import apsw
import numpy as np
import numpy.typing as npt
import pytest

import memvault
from memvault.core.errors import ModelMismatchError
from memvault.core.records import MemoryDraft
from memvault.core.vector_records import VectorStorage
from memvault.embedding.hashing import HashEmbedder
from memvault.service.vault import Vault
from memvault.storage.sqlite import vector_search, vectors
from memvault.storage.sqlite.connection import open_connection
from memvault.storage.sqlite.migrations import LATEST_VERSION
from memvault.storage.sqlite.store import SqliteStore
from memvault.storage.sqlite.vector_index import VectorIndex

FIXTURE = Path(__file__).parent.parent / "fixtures" / "schema_v1.db"
DIMS = 384
STORAGES = [VectorStorage.FLOAT32, VectorStorage.INT8, VectorStorage.BIT]
Vector = npt.NDArray[np.float32]


class ToyEmbedder:
    """Returns the vector registered for each text (documents and queries alike)."""

    def __init__(self, model_id: str = "toy-384") -> None:
        self._model_id = model_id
        self.table: dict[str, Vector] = {}

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimensions(self) -> int:
        return DIMS

    def embed_documents(self, texts: Sequence[str]) -> Vector:
        return np.stack([self.table[text] for text in texts]).astype(np.float32)

    def embed_query(self, text: str) -> Vector:
        return self.table[text].astype(np.float32)


class Patterns:
    """±1/sqrt(d) vectors: a base pattern and variants with a given number of signs flipped."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.base = self.rng.choice(np.array([-1.0, 1.0], dtype=np.float32), DIMS)

    def flipped(self, n: int) -> Vector:
        signs = self.base.copy()
        signs[self.rng.choice(DIMS, n, replace=False)] *= -1
        return (signs / np.sqrt(DIMS)).astype(np.float32)

    def query(self) -> Vector:
        return (self.base / np.sqrt(DIMS)).astype(np.float32)


def open_vault(path: Path, embedder: object, storage: VectorStorage | None = None) -> Vault:
    return memvault.open(
        path,
        embedder=embedder,  # type: ignore[arg-type]
        vector_storage=None if storage is None else storage.value,
        background=False,
    )


@pytest.fixture
def raw(tmp_path: Path) -> Iterator[apsw.Connection]:
    """A separate reader on the test's database, with sqlite-vec loaded, to look underneath."""
    conn = open_connection(tmp_path / "v.db", reader=True)
    yield conn
    conn.close()


def pk_of(conn: apsw.Connection, memory_id: str) -> int:
    row = conn.execute("SELECT pk FROM memories WHERE id = ?", (memory_id,)).fetchone()
    assert row is not None
    return int(row[0])


def put_count(conn: apsw.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM vector_log WHERE op = 'put'").fetchone()[0])


# --- writing, per storage kind ---------------------------------------------------------------
@pytest.mark.parametrize("storage", STORAGES)
def test_vectors_land_in_the_vec0_table_with_the_config_recorded(
    tmp_path: Path, raw: apsw.Connection, storage: VectorStorage
) -> None:
    toy, patterns = ToyEmbedder(), Patterns()
    texts = [f"memory {n}" for n in range(5)]
    for n, text in enumerate(texts):
        toy.table[text] = patterns.flipped(10 * n + 1)
    with open_vault(tmp_path / "v.db", toy, storage) as vault:
        assert vault.vector_config() is None  # nothing is decided before the first vector
        ids = [o.id for o in vault.remember_many([MemoryDraft(t) for t in texts])]
        counts = vault.wait_for_jobs(timeout=30)
        assert (counts.done, counts.pending, counts.failed) == (5, 0, 0)
        config = vault.vector_config()
        assert config is not None
        assert (config.model_id, config.dimensions, config.storage) == ("toy-384", DIMS, storage)
        assert (config.int8_scale is not None) == (storage is VectorStorage.INT8)

    element = {"float32": "float", "int8": "int8", "bit": "bit"}[storage.value]
    (sql,) = raw.execute("SELECT sql FROM sqlite_schema WHERE name = 'memory_vectors'").fetchone()
    assert "vec0" in sql and f"{element}[{DIMS}]" in sql
    stored = dict(raw.execute("SELECT rowid, embedding FROM memory_vectors").fetchall())
    assert set(stored) == {pk_of(raw, memory_id) for memory_id in ids}
    width = {"float32": 4 * DIMS, "int8": DIMS, "bit": DIMS // 8}[storage.value]
    assert {len(blob) for blob in stored.values()} == {width}
    first = np.asarray(stored[pk_of(raw, ids[0])])
    if storage is VectorStorage.FLOAT32:
        np.testing.assert_array_equal(np.frombuffer(first, np.float32), toy.table[texts[0]])
    elif storage is VectorStorage.BIT:
        expected = np.packbits(toy.table[texts[0]] > 0, bitorder="little")
        np.testing.assert_array_equal(np.frombuffer(first, np.uint8), expected)
    else:  # int8 codes keep every sign and use a good part of the -127..127 range
        codes = np.frombuffer(first, np.int8)
        assert np.array_equal(codes > 0, toy.table[texts[0]] > 0)
        assert 10 <= int(np.abs(codes).max()) <= 127


@pytest.mark.parametrize("storage", STORAGES)
def test_vector_search_returns_the_nearest_memory_first(
    tmp_path: Path, storage: VectorStorage
) -> None:
    toy, patterns = ToyEmbedder(), Patterns()
    flips = [90, 3, 40, 150, 12, 70]
    for n in flips:
        toy.table[f"flipped {n}"] = patterns.flipped(n)
    toy.table["query"] = patterns.query()
    with open_vault(tmp_path / "v.db", toy, storage) as vault:
        ids = {n: vault.remember(f"flipped {n}").id for n in flips}
        vault.wait_for_jobs(timeout=30)
        hits = vault.search("query", mode="vector", k=4)
    assert [h.memory.id for h in hits] == [ids[n] for n in (3, 12, 40, 70)]
    assert hits[0].score == pytest.approx(1 - 2 * 3 / DIMS, abs=0.02)
    assert [h.signals["vector"].rank for h in hits] == [1, 2, 3, 4]


# --- filtered search and the exact fallback ---------------------------------------------------
@pytest.mark.parametrize("storage", STORAGES)
def test_selective_filter_falls_back_to_exact_sqlite_vec_search(
    tmp_path: Path, storage: VectorStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 600 memories in "default" are all nearer the query than any of the 5 in "rare", so the
    # in-process index's candidates (a few dozen) contain no rare memory at all; only the exact
    # search restricted to the filter can find them.
    toy, patterns = ToyEmbedder(), Patterns()
    crowd = [f"crowd {i}" for i in range(600)]
    for i, text in enumerate(crowd):
        toy.table[text] = patterns.flipped(1 + i % 60)
    rare_flips = [160, 100, 190, 130, 220]
    for n in rare_flips:
        toy.table[f"rare {n}"] = patterns.flipped(n)
    toy.table["query"] = patterns.query()
    calls: list[int] = []
    real_exact = vector_search.exact

    def counting_exact(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real_exact(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(vector_search, "exact", counting_exact)
    with open_vault(tmp_path / "v.db", toy, storage) as vault:
        vault.remember_many([MemoryDraft(t, tags=("crowd",)) for t in crowd])
        rare = {
            n: vault.remember(f"rare {n}", namespace="rare", tags=["needle"]).id for n in rare_flips
        }
        vault.wait_for_jobs(timeout=60)

        unfiltered = vault.search("query", mode="vector", k=50)
        assert not {h.memory.id for h in unfiltered} & set(rare.values())
        assert calls == []  # enough candidates: no fallback

        hits = vault.search("query", mode="vector", k=3, namespace="rare")
        assert [h.memory.id for h in hits] == [rare[100], rare[130], rare[160]]
        assert calls == [1]
        assert [h.signals["vector"].rank for h in hits] == [1, 2, 3]
        assert hits[0].score == pytest.approx(1 - 2 * 100 / DIMS, abs=0.02)

        by_tag = vault.search("query", mode="vector", k=10, tags=["needle"])
        assert [h.memory.id for h in by_tag] == [rare[n] for n in sorted(rare_flips)]
        assert calls == [1, 1]

        in_crowd = vault.search("query", mode="vector", k=5, tags=["crowd"])
        assert len(in_crowd) == 5 and calls == [1, 1]  # the index alone sufficed


# --- deletes, updates, other processes -------------------------------------------------------
def test_forget_removes_the_vector(tmp_path: Path, raw: apsw.Connection) -> None:
    with memvault.open(tmp_path / "v.db", background=False) as vault:
        keep = vault.remember("the deploy script lives in scripts").id
        gone = vault.remember("the deploy key rotates monthly").id
        vault.wait_for_jobs(timeout=30)
        gone_pk = pk_of(raw, gone)
        assert vault.search("deploy key", mode="vector", k=1)[0].memory.id == gone
        vault.forget(gone)
        assert [h.memory.id for h in vault.search("deploy key", mode="vector")] == [keep]
    assert vectors.vector_pks(raw) == {pk_of(raw, keep)}
    assert raw.execute("SELECT count(*) FROM jobs WHERE memory_pk = ?", (gone_pk,)).fetchone() == (
        0,
    )


def test_update_of_content_drops_the_stale_vector_and_requeues(
    tmp_path: Path, raw: apsw.Connection
) -> None:
    hasher = HashEmbedder(384)
    with memvault.open(tmp_path / "v.db", background=False) as vault:
        memory_id = vault.remember("uses postgres for the queue").id
        vault.wait_for_jobs(timeout=30)
        pk = pk_of(raw, memory_id)
        assert vectors.vector_pks(raw) == {pk}

        vault.update(memory_id, content="keeps redis around as a cache")
        assert vectors.vector_pks(raw) == set()  # no vector of the old text survives
        assert vault.jobs().queued == 1
        assert vault.search("postgres queue", mode="vector") == []

        counts = vault.wait_for_jobs(timeout=30)
        assert (counts.pending, counts.failed) == (0, 0)
        (blob,) = vectors.vectors_for(raw, [pk]).values()
        np.testing.assert_allclose(
            np.frombuffer(blob, np.float32),
            hasher.embed_query("keeps redis around as a cache"),
            atol=1e-6,
        )
        assert vault.search("redis cache", mode="vector", k=1)[0].memory.id == memory_id

        vault.update(memory_id, importance=0.9)  # no content change: the vector stays
        assert vectors.vector_pks(raw) == {pk} and vault.jobs().queued == 0


def test_an_embedding_of_the_old_text_in_flight_is_not_stored(
    tmp_path: Path, raw: apsw.Connection
) -> None:
    # A worker claimed the job and is embedding the old text when the content changes: its
    # result must be refused, and the new text embedded instead.
    with memvault.open(tmp_path / "v.db", background=False) as vault:
        memory_id = vault.remember("the cache is memcached").id
        store = vault._store
        (task,) = store.claim_embed_jobs("elsewhere:1:a", limit=10, lease_seconds=60)
        stale = HashEmbedder(384).embed_documents([task.content])
        vault.update(memory_id, content="the cache is redis")
        stored = store.store_embeddings(
            "elsewhere:1:a",
            model_id="hash-384",
            storage=VectorStorage.FLOAT32,
            job_ids=[task.job_id],
            embeddings=stale,
        )
        assert stored == 0 and vectors.vector_pks(raw) == set()
        vault.wait_for_jobs(timeout=30)
        (blob,) = vectors.vectors_for(raw, [pk_of(raw, memory_id)]).values()
        fresh = HashEmbedder(384).embed_query("the cache is redis")
        np.testing.assert_allclose(np.frombuffer(blob, np.float32), fresh, atol=1e-6)


def test_a_second_instance_follows_vector_writes_and_deletes_through_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[int] = []
    applies: list[int] = []
    real_load, real_apply = VectorIndex._load, VectorIndex._apply

    def counting_load(self: VectorIndex, *args: object) -> None:
        loads.append(1)
        real_load(self, *args)  # type: ignore[arg-type]

    def counting_apply(self: VectorIndex, *args: object) -> None:
        applies.append(1)
        real_apply(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(VectorIndex, "_load", counting_load)
    monkeypatch.setattr(VectorIndex, "_apply", counting_apply)
    path = tmp_path / "v.db"
    with (
        memvault.open(path, background=False) as writer,
        memvault.open(path, background=False) as reader,
    ):
        first = writer.remember("alpha release notes").id
        writer.wait_for_jobs(timeout=30)
        # Only `reader` ever searches, so every sync counted here is its index's.
        assert [h.memory.id for h in reader.search("alpha release", mode="vector")] == [first]
        loads_after_build = len(loads)

        second = writer.remember("beta rollout checklist").id
        writer.wait_for_jobs(timeout=30)
        assert reader.search("beta rollout", mode="vector", k=1)[0].memory.id == second
        assert len(applies) == 1 and len(loads) == loads_after_build  # caught up incrementally

        writer.forget(second)
        ids = [h.memory.id for h in reader.search("beta rollout", mode="vector", k=5)]
        assert second not in ids
        writer.update(first, content="gamma incident review")
        assert reader.search("alpha release", mode="vector") == []  # stale vector gone there too
        writer.wait_for_jobs(timeout=30)
        assert [h.memory.id for h in reader.search("gamma incident", mode="vector")] == [first]
        assert len(applies) == 4 and len(loads) == loads_after_build


# --- model changes --------------------------------------------------------------------------
def test_a_different_model_over_existing_vectors_is_refused_naming_reembed(
    tmp_path: Path, raw: apsw.Connection
) -> None:
    path = tmp_path / "v.db"
    with memvault.open(path, embedder="hash:384", background=False) as vault:
        vault.remember("made by the first model")
        vault.wait_for_jobs(timeout=30)
    with memvault.open(path, embedder="hash:128", background=False) as vault:
        vault.remember("queued under the second model")
        for attempt in (
            lambda: vault.wait_for_jobs(timeout=30),
            lambda: vault.search("model", mode="vector"),
            lambda: vault.search("model"),  # hybrid too: never compare across models
        ):
            with pytest.raises(ModelMismatchError) as caught:
                attempt()
            message = str(caught.value)
            assert "memvault reembed" in message
            assert "hash-384" in message and "hash-128" in message
        # The refused worker wrote nothing and left the job for a re-embed.
        store = vault._store
        (task,) = store.claim_embed_jobs("t:1:x", limit=5, lease_seconds=60)
        with pytest.raises(ModelMismatchError, match="memvault reembed"):
            store.store_embeddings(
                "t:1:x",
                model_id="hash-128",
                storage=VectorStorage.FLOAT32,
                job_ids=[task.job_id],
                embeddings=np.zeros((1, 128), np.float32) + 0.088,
            )
    assert vectors.count(raw) == 1
    assert vectors.read_config(raw) is not None
    assert vectors.read_config(raw).model_id == "hash-384"  # type: ignore[union-attr]


# --- upgrading a version-1 vault -------------------------------------------------------------
def test_a_version_1_vault_is_migrated_and_its_memories_backfilled(tmp_path: Path) -> None:
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURE, copy)
    before = FIXTURE.read_bytes()
    with memvault.open(copy, background=False) as vault:
        assert vault.stats().schema_version == LATEST_VERSION == 4
        assert vault.vector_config() is None
        assert vault.jobs().total == 0  # the migration queues nothing by itself
        counts = vault.wait_for_jobs(timeout=30)
        assert (counts.done, counts.pending, counts.failed) == (4, 0, 0)
        config = vault.vector_config()
        assert config is not None and config.model_id == "hash-384"
        hits = vault.search("we chose sqlite", mode="vector", k=1)
        assert hits[0].memory.content == "We chose SQLite in WAL mode"
        old = vault.search("old deploy steps", mode="vector", include_superseded=True, k=1)
        assert old[0].memory.content == "Old deploy steps used make deploy"  # history too
        assert vault.check().ok
        assert vault.wait_for_jobs(timeout=5).done == 4  # backfill is not repeated
    conn = open_connection(copy, reader=True)
    try:
        assert vectors.vector_pks(conn) == {
            int(r[0]) for r in conn.execute("SELECT pk FROM memories")
        }
    finally:
        conn.close()
    assert FIXTURE.read_bytes() == before


def test_vector_log_stays_bounded_and_a_stale_index_reloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors, "LOG_KEEP", 20)
    monkeypatch.setattr(vectors, "_PRUNE_EVERY", 10)
    path = tmp_path / "log.db"
    reader = memvault.open(path, embedder="hash", background=False)
    writer = memvault.open(path, embedder="hash", background=False)
    try:
        first = writer.remember("alpha beta gamma").id
        writer.wait_for_jobs()
        assert [h.memory.id for h in reader.search("alpha beta gamma", mode="vector", k=1)] == [
            first
        ]
        writer.remember_many([MemoryDraft(f"filler memory number {i}") for i in range(100)])
        writer.wait_for_jobs()
        store = writer._store
        assert isinstance(store, SqliteStore)
        rows = store._read(lambda conn: conn.execute("SELECT count(*) FROM vector_log").fetchone())
        assert rows is not None and int(rows[0]) <= 30  # pruned, not one row per vector ever
        # The reader's index fell behind the pruned log: it must reload, not miss vectors.
        hits = reader.search("filler memory number 42", mode="vector", k=1)
        assert hits[0].memory.content == "filler memory number 42"
        assert reader.check().ok
    finally:
        reader.close()
        writer.close()
