"""The embedding worker: failures are parked, not fatal; several processes share one queue; a
killed process's work is finished by the next one, each memory embedded exactly once."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
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
from memvault.embedding.base import EmbeddingError
from memvault.embedding.hashing import HashEmbedder
from memvault.service import embeddings
from memvault.service.embeddings import Embeddings
from memvault.service.vault import Vault
from memvault.service.worker import FAST_BATCH_SECONDS, MAX_BATCH, EmbedWorker, next_batch
from memvault.storage.sqlite.connection import open_connection
from memvault.storage.sqlite.store import SqliteStore

WORKERS = Path(__file__).parents[1] / "workers"
Vectors = npt.NDArray[np.float32]


class FailingEmbedder:
    """The hash embedder, except that a batch holding a text with "boom" fails as a whole (as a
    remote provider's request would), and one with "crash" hits a bug (not an EmbeddingError)."""

    def __init__(self) -> None:
        self._inner = HashEmbedder(384)
        self.batches: list[list[str]] = []

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimensions(self) -> int:
        return self._inner.dimensions

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.batches.append(list(texts))
        if any("boom" in text for text in texts):
            raise EmbeddingError("the model cannot take a boom")
        if any("crash" in text for text in texts):
            raise RuntimeError("provider bug")
        vectors = self._inner.embed_documents(texts)
        for row, text in enumerate(texts):
            if "nan" in text.split():  # a provider that answers NaN for some texts
                vectors[row] = np.nan
        return vectors

    def embed_query(self, text: str) -> Vectors:
        return self._inner.embed_query(text)


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Vault-made workers retry after 10 ms instead of 2 s (5 tries would take 30 s)."""
    fast = functools.partial(EmbedWorker, backoff_seconds=0.01, idle_poll_seconds=0.01)
    monkeypatch.setattr(embeddings, "EmbedWorker", fast)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "w.db")
    yield opened
    opened.close()


def reader(path: Path) -> apsw.Connection:
    return open_connection(path, reader=True)


def vector_writes(conn: apsw.Connection) -> dict[int, int]:
    """memory pk → how many times a vector was written for it."""
    rows = conn.execute(
        "SELECT memory_pk, count(*) FROM vector_log WHERE op = 'put' GROUP BY memory_pk"
    )
    return {int(pk): int(n) for pk, n in rows}


def memory_pks(conn: apsw.Connection) -> set[int]:
    return {int(r[0]) for r in conn.execute("SELECT pk FROM memories")}


def vector_pks(conn: apsw.Connection) -> set[int]:
    return {int(r[0]) for r in conn.execute("SELECT rowid FROM memory_vectors")}


def job_states(conn: apsw.Connection) -> dict[str, int]:
    return {str(s): int(n) for s, n in conn.execute("SELECT state, count(*) FROM jobs GROUP BY 1")}


# --- failures -------------------------------------------------------------------------------
def test_a_vector_with_nan_from_the_provider_is_parked_not_stored(
    tmp_path: Path, fast_backoff: None
) -> None:
    with memvault.open(tmp_path / "v.db", embedder=FailingEmbedder(), background=False) as vault:
        good = [vault.remember(f"fine memory number {i}").id for i in range(3)]
        bad = vault.remember("this text gets nan from the model").id
        counts = vault.wait_for_jobs(timeout=30)
        assert (counts.done, counts.failed, counts.pending) == (3, 1, 0)
        (failure,) = vault.job_failures()
        assert failure.memory_id == bad and "NaN or infinity" in failure.error
        hits = vault.search("fine memory number 1", k=3)  # hybrid, over the stored vectors
        assert hits[0].memory.id == good[1] and all(np.isfinite(h.score) for h in hits)
        assert vault.check().ok


def test_a_text_the_model_rejects_is_parked_and_the_rest_embedded(
    tmp_path: Path, fast_backoff: None
) -> None:
    embedder = FailingEmbedder()
    path = tmp_path / "v.db"
    with memvault.open(path, embedder=embedder, background=False) as vault:
        good = [vault.remember(f"good memory number {i}").id for i in range(6)]
        bad = vault.remember("this one goes boom").id
        counts = vault.wait_for_jobs(timeout=30)
        assert (counts.done, counts.failed, counts.pending) == (6, 1, 0)
        (failure,) = vault.job_failures()
        assert failure.memory_id == bad
        assert failure.attempts == 5
        assert failure.error == "the model cannot take a boom"
        hits = vault.search("good memory number 3", mode="vector", k=1)
        assert hits[0].memory.id == good[3]
        assert vault.check().ok
    # The batch that failed was retried one text at a time: good texts were not held back.
    assert embedder.batches[0] == [
        *(f"good memory number {i}" for i in range(6)),
        "this one goes boom",
    ]
    assert all(len(batch) == 1 for batch in embedder.batches[1:])
    conn = reader(path)
    try:
        assert len(vector_pks(conn)) == 6 and set(vector_writes(conn).values()) == {1}
    finally:
        conn.close()


def test_a_provider_bug_is_parked_and_the_background_worker_keeps_going(
    tmp_path: Path, fast_backoff: None
) -> None:
    embedder = FailingEmbedder()
    with memvault.open(tmp_path / "v.db", embedder=embedder, background=True) as vault:
        crash = vault.remember("this one will crash the provider").id
        deadline = time.monotonic() + 20
        while vault.jobs().failed == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        (failure,) = vault.job_failures()
        assert (failure.memory_id, failure.error) == (crash, "RuntimeError: provider bug")
        later = vault.remember("written after the failure").id  # the same thread embeds it
        while vault.jobs().done == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        counts = vault.jobs()
        assert (counts.done, counts.failed, counts.pending) == (1, 1, 0)
        assert vault.search("written after", mode="vector", k=1)[0].memory.id == later


def test_a_rejected_text_does_not_use_up_the_tries_of_new_memories(store: SqliteStore) -> None:
    # New memories keep arriving while a retry of a rejected text is due: they must not be
    # batched with it, or every batch fails and good memories end up parked as failed.
    embedder = FailingEmbedder()
    vault = Vault(store, embeddings=Embeddings(store, store, embedder=embedder, background=False))
    worker = EmbedWorker(
        store, lambda: embedder, VectorStorage.FLOAT32, max_attempts=2, backoff_seconds=0.0
    )
    first = [vault.remember(t).id for t in ("boom text", "good a", "good b")]
    assert worker.run_once() == 3  # the whole batch failed once
    later = {vault.remember(t).id: t for t in ("good c", "good d")}
    counts = worker.drain(timeout=10)
    assert (counts.done, counts.failed) == (4, 1)
    assert [f.memory_id for f in vault.job_failures()] == [first[0]]
    for memory_id, text in later.items():
        assert vault.search(text, mode="vector", k=1)[0].memory.id == memory_id


def test_a_model_change_stops_the_worker_without_failing_any_job(store: SqliteStore) -> None:
    vault = Vault(store, embeddings=Embeddings(store, store, embedder="hash:384", background=False))
    vault.remember("embedded by the first model")
    vault.wait_for_jobs(timeout=10)
    vault.remember("queued when the model changed")
    worker = EmbedWorker(store, lambda: HashEmbedder(128), VectorStorage.FLOAT32)
    with pytest.raises(ModelMismatchError, match="memvault reembed"):
        worker.run_once()
    counts = vault.jobs()
    assert (counts.queued, counts.running, counts.failed) == (1, 0, 0)  # given back, not failed
    (task,) = store.claim_embed_jobs("test:1:a", limit=5, lease_seconds=60)
    assert task.attempts == 1  # the refused try was not counted
    store.release_jobs("test:1:a")
    with pytest.raises(ModelMismatchError):
        worker.run_once()  # stays stopped
    assert vault.jobs().queued == 1


def test_drain_gives_up_at_its_timeout_while_another_worker_holds_a_job(
    store: SqliteStore,
) -> None:
    vault = Vault(store, embeddings=Embeddings(store, store, background=False))
    vault.remember("held elsewhere")
    store.claim_embed_jobs("another-host:1:x", limit=1, lease_seconds=3600)
    worker = EmbedWorker(store, lambda: HashEmbedder(384), VectorStorage.FLOAT32)
    started = time.monotonic()
    counts = worker.drain(timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 5
    assert (counts.running, counts.done) == (1, 0)


# --- several processes ----------------------------------------------------------------------
def spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKERS / script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_three_processes_drain_one_queue_embedding_each_memory_once(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with memvault.open(db, background=False) as vault:
        vault.remember_many([MemoryDraft(f"shared queue memory {i}") for i in range(300)])
        assert vault.jobs().queued == 300
    go = tmp_path / "go"
    names = ["p0", "p1", "p2"]
    procs = [
        spawn(
            "drain_jobs.py",
            str(db),
            str(tmp_path / f"{n}.log"),
            str(tmp_path / f"{n}.ready"),
            str(go),
            "0.1",
        )
        for n in names
    ]
    try:
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"{n}.ready").exists() for n in names):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
            time.sleep(0.02)
        go.touch()
        reports = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            reports.append(json.loads(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert all(r["done"] == 300 and r["queued"] == r["running"] == 0 for r in reports)

    embedded = {n: (tmp_path / f"{n}.log").read_text("utf-8").splitlines() for n in names}
    assert all(embedded.values()), {n: len(t) for n, t in embedded.items()}  # all took part
    every = Counter(text for texts in embedded.values() for text in texts)
    assert every == Counter(f"shared queue memory {i}" for i in range(300))  # each exactly once
    conn = reader(db)
    try:
        assert vector_pks(conn) == memory_pks(conn) and len(memory_pks(conn)) == 300
        assert set(vector_writes(conn).values()) == {1}
        assert job_states(conn) == {"done": 300}
    finally:
        conn.close()
    with memvault.open(db, background=False) as vault:
        assert vault.check().ok


@pytest.mark.slow
def test_kill_9_mid_queue_is_finished_by_the_next_process(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    proc = spawn("embed_slowly.py", str(db), "300", str(tmp_path / "killed.log"))
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while sum(line.startswith("embedding") for line in lines) < 3:
            assert time.monotonic() < deadline
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "worker exited"
            lines.append(line)
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of its third batch
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "queued\n" in lines

    conn = reader(db)
    try:
        at_kill = job_states(conn)
        assert at_kill.get("running", 0) > 0  # the dead process held leases
        assert at_kill.get("queued", 0) > 0 and at_kill.get("done", 0) < 300
    finally:
        conn.close()

    started = time.monotonic()
    with memvault.open(db, background=False) as vault:  # same vectors: the hash embedder
        counts = vault.wait_for_jobs(timeout=60)
        took = time.monotonic() - started
        assert (counts.done, counts.queued, counts.running, counts.failed) == (300, 0, 0, 0)
        assert vault.check().ok
    assert took < 30  # its leases (120 s) were reclaimed because its process is gone
    conn = reader(db)
    try:
        assert vector_pks(conn) == memory_pks(conn) and len(memory_pks(conn)) == 300
        assert set(vector_writes(conn).values()) == {1}  # no memory got a second vector
        assert job_states(conn) == {"done": 300}
    finally:
        conn.close()


def test_batches_grow_while_the_embedder_is_fast_and_shrink_when_it_is_slow() -> None:
    assert next_batch(32, 32, 32, 0.001) == 64  # a full, fast batch doubles
    assert next_batch(32, 32, 10, 0.001) == 32  # the queue ran short: no reason to grow
    assert next_batch(MAX_BATCH, 32, MAX_BATCH, 0.001) == MAX_BATCH
    assert next_batch(256, 32, 256, 10 * FAST_BATCH_SECONDS) == 128
    assert next_batch(32, 32, 32, 60.0) == 32  # a slow model keeps the configured size
    assert next_batch(64, 32, 64, FAST_BATCH_SECONDS) == 64
    assert next_batch(1024, 1024, 1024, 0.001) == 1024  # a configured size above the cap stays
