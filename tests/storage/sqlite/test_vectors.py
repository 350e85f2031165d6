"""Vectors in the sqlite-vec table: their layout per storage kind, the exact fallback of filtered
searches, the log other processes' indexes follow, the refused model, the v1 upgrade.

Most tests use ``ToyEmbedder``, which hands out vectors chosen by the test, so that which memory
is nearest is known exactly. Its vectors are ±1 patterns (scaled to unit length): a pattern with
``n`` signs flipped from the query has cosine ``1 - 2n/d`` to it in float32, in int8 and in bit
storage alike, so one expected order holds for every storage kind.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import apsw
import numpy as np
import numpy.typing as npt
import pytest

import memvault
from memvault.core.errors import ModelMismatchError
from memvault.core.records import MemoryDraft
from memvault.core.vector_records import VectorStorage
from memvault.service.vault import Vault
from memvault.storage.sqlite import search, vectors
from memvault.storage.sqlite.connection import open_connection
from memvault.storage.sqlite.migrations import LATEST_VERSION
from memvault.storage.sqlite.store import SqliteStore
from tests.storage.sqlite.conftest import IndexEvents, pk_of, reader, rows, value, vault_over

FIXTURE = Path(__file__).parents[2] / "fixtures" / "schema_v1.db"
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
        flipped: Vector = (signs / np.sqrt(DIMS)).astype(np.float32)
        return flipped

    def query(self) -> Vector:
        query: Vector = (self.base / np.sqrt(DIMS)).astype(np.float32)
        return query


def open_vault(path: Path, embedder: object, storage: VectorStorage | None = None) -> Vault:
    return memvault.open(
        path,
        embedder=embedder,  # type: ignore[arg-type]
        vector_storage=None if storage is None else storage.value,
        background=False,
    )


def log_rows(conn: apsw.Connection) -> int:
    return int(value(conn, "SELECT count(*) FROM vector_log"))


# --- the vec0 table, per storage kind --------------------------------------------------------
@pytest.mark.parametrize("storage", STORAGES)
def test_vectors_land_in_the_vec0_table_with_the_config_recorded(
    db: Path, raw: apsw.Connection, storage: VectorStorage
) -> None:
    toy, patterns = ToyEmbedder(), Patterns()
    texts = [f"memory {n}" for n in range(5)]
    for n, text in enumerate(texts):
        toy.table[text] = patterns.flipped(10 * n + 1)
    with open_vault(db, toy, storage) as vault:
        assert vault.vector_config() is None  # nothing is decided before the first vector
        ids = [o.id for o in vault.remember_many([MemoryDraft(t) for t in texts])]
        counts = vault.wait_for_jobs(timeout=30)
        assert (counts.done, counts.pending, counts.failed) == (5, 0, 0)
        config = vault.vector_config()
        assert config is not None
        assert (config.model_id, config.dimensions, config.storage) == ("toy-384", DIMS, storage)
        assert (config.int8_scale is not None) == (storage is VectorStorage.INT8)

    element = {"float32": "float", "int8": "int8", "bit": "bit"}[storage.value]
    sql = str(value(raw, "SELECT sql FROM sqlite_schema WHERE name = 'memory_vectors'"))
    assert "vec0" in sql and f"{element}[{DIMS}]" in sql
    stored = dict(rows(raw, "SELECT rowid, embedding FROM memory_vectors"))
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


# --- filtered search and the exact fallback ---------------------------------------------------
@pytest.mark.parametrize("storage", STORAGES)
def test_selective_filter_falls_back_to_exact_sqlite_vec_search(
    db: Path, storage: VectorStorage, monkeypatch: pytest.MonkeyPatch
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
    real_exact = search.exact

    def counting_exact(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real_exact(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(search, "exact", counting_exact)
    with open_vault(db, toy, storage) as vault:
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


# --- other processes, through the log ---------------------------------------------------------
def test_a_second_instance_follows_vector_writes_and_deletes_through_the_log(
    db: Path, index_events: IndexEvents
) -> None:
    with (
        memvault.open(db, background=False) as writer,
        memvault.open(db, background=False) as other,
    ):
        first = writer.remember("alpha release notes").id
        writer.wait_for_jobs(timeout=30)
        # Only `other` ever searches, so every index event counted here is its index's.
        assert [h.memory.id for h in other.search("alpha release", mode="vector")] == [first]
        builds_after_start = index_events.builds
        index_events.catch_ups = 0

        second = writer.remember("beta rollout checklist").id
        writer.wait_for_jobs(timeout=30)
        assert other.search("beta rollout", mode="vector", k=1)[0].memory.id == second
        # caught up incrementally, from the log: no second full build
        assert index_events.catch_ups == 1 and index_events.builds == builds_after_start

        writer.forget(second)
        ids = [h.memory.id for h in other.search("beta rollout", mode="vector", k=5)]
        assert second not in ids
        writer.update(first, content="gamma incident review")
        assert other.search("alpha release", mode="vector") == []  # stale vector gone there too
        writer.wait_for_jobs(timeout=30)
        assert [h.memory.id for h in other.search("gamma incident", mode="vector")] == [first]
        assert index_events.catch_ups == 4 and index_events.builds == builds_after_start


def test_vector_log_stays_bounded_and_a_stale_index_reloads(
    db: Path, monkeypatch: pytest.MonkeyPatch, index_events: IndexEvents
) -> None:
    monkeypatch.setattr(vectors, "LOG_KEEP", 20)
    monkeypatch.setattr(vectors, "_PRUNE_EVERY", 10)
    other = memvault.open(db, embedder="hash", background=False)
    writer = memvault.open(db, embedder="hash", background=False)
    conn = reader(db)
    try:
        first = writer.remember("alpha beta gamma").id
        writer.wait_for_jobs()
        assert [h.memory.id for h in other.search("alpha beta gamma", mode="vector", k=1)] == [
            first
        ]
        builds = index_events.builds
        writer.remember_many([MemoryDraft(f"filler memory number {i}") for i in range(100)])
        writer.wait_for_jobs()
        assert log_rows(conn) <= 30  # pruned, not one row per vector ever
        # The other index fell behind the pruned log: it must reload, not miss vectors.
        hits = other.search("filler memory number 42", mode="vector", k=1)
        assert hits[0].memory.content == "filler memory number 42"
        assert index_events.builds == builds + 1
        assert other.check().ok
    finally:
        conn.close()
        other.close()
        writer.close()


def test_a_reclaimed_job_writes_its_vector_exactly_once(db: Path) -> None:
    # A worker whose lease ran out comes back with its result: refused, so the log (which every
    # other process's index replays) shows one put per memory.
    store = SqliteStore(db)
    conn = reader(db)
    try:
        vault_over(store, embedder="hash").remember_many([MemoryDraft("a"), MemoryDraft("b")])
        slow = store.claim_embed_jobs("t:1:slow", limit=10, lease_seconds=-1)  # expired at once
        fast = store.claim_embed_jobs("t:2:fast", limit=10, lease_seconds=60)
        fast += store.claim_embed_jobs("t:2:fast", limit=10, lease_seconds=60)
        assert sorted(t.job_id for t in fast) == sorted(t.job_id for t in slow)
        for owner, tasks in (("t:1:slow", slow), ("t:2:fast", fast)):
            store.store_embeddings(
                owner,
                model_id="hash-384",
                storage=VectorStorage.FLOAT32,
                job_ids=[t.job_id for t in tasks],
                embeddings=np.full((len(tasks), 384), 0.051, np.float32),
            )
        puts = rows(
            conn, "SELECT memory_pk, count(*) FROM vector_log WHERE op = 'put' GROUP BY memory_pk"
        )
        assert sorted(int(n) for _, n in puts) == [1, 1]
    finally:
        conn.close()
        store.close()


# --- model changes --------------------------------------------------------------------------
def test_a_different_model_over_existing_vectors_is_refused_naming_reembed(
    db: Path, raw: apsw.Connection
) -> None:
    with memvault.open(db, embedder="hash:384", background=False) as vault:
        vault.remember("made by the first model")
        vault.wait_for_jobs(timeout=30)
    store = SqliteStore(db)
    with vault_over(store, embedder="hash:128") as vault:
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
    config = vectors.read_config(raw)
    assert config is not None and config.model_id == "hash-384"


# --- upgrading a version-1 vault -------------------------------------------------------------
def test_a_version_1_vault_is_migrated_and_its_memories_backfilled(tmp_path: Path) -> None:
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURE, copy)
    before = FIXTURE.read_bytes()
    with memvault.open(copy, background=False) as vault:
        assert vault.stats().schema_version == LATEST_VERSION
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
    conn = reader(copy)
    try:
        assert vectors.vector_pks(conn) == {
            int(r[0]) for r in conn.execute("SELECT pk FROM memories")
        }
    finally:
        conn.close()
    assert FIXTURE.read_bytes() == before


def test_a_vector_with_nan_left_by_an_old_version_is_found_by_check_and_searches_survive(
    tmp_path: Path,
) -> None:
    db = tmp_path / "damaged.db"
    with memvault.open(db, embedder="hash:384", background=False) as vault:
        good = vault.remember("the okapi lives in the forest").id
        bad = vault.remember("the tapir lives in the forest").id
        vault.wait_for_jobs()
        assert vault.check().ok
    # What an older memvault could store: a float32 vector with NaN in it, written underneath.
    conn = open_connection(db, reader=False)
    nan = np.full(384, np.nan, dtype="<f4").tobytes()
    conn.execute("UPDATE memory_vectors SET embedding = ? WHERE rowid = ?", (nan, pk_of(conn, bad)))
    conn.execute("INSERT INTO vector_log(memory_pk, op) VALUES (?, 'put')", (pk_of(conn, bad),))
    conn.close()
    with memvault.open(db, embedder="hash:384", background=False) as vault:
        (vectors_check,) = [c for c in vault.check().checks if c.name == "vectors"]
        assert not vectors_check.ok and "1 vectors hold NaN or infinity" in vectors_check.detail
        for mode in ("vector", "hybrid"):
            hits = vault.search("okapi forest", mode=mode)
            assert good in [h.memory.id for h in hits], mode
            assert all(np.isfinite(h.score) for h in hits), mode
        vault.reembed()  # what check tells the user to run
        assert vault.check().ok
