"""The embed job queue: exclusive leases, reclaiming, backoff, parking and retrying failures.

Time is the store's clock (``time.time`` in ``store.py``), replaced here by a clock the test
moves, so leases and backoff are checked exactly and without sleeping.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import apsw
import numpy as np
import pytest

from memvault.core.records import MemoryDraft
from memvault.core.vector_records import EmbedTask, VectorStorage
from memvault.embedding.hashing import HashEmbedder
from memvault.service.embeddings import Embeddings
from memvault.service.vault import Vault
from memvault.service.worker import EmbedWorker
from memvault.storage.sqlite import store as store_module
from memvault.storage.sqlite.connection import open_connection
from memvault.storage.sqlite.store import SqliteStore

HASH = HashEmbedder(384)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(store_module, "time", fake)
    return fake


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "jobs.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(db)
    yield opened
    opened.close()


@pytest.fixture
def vault(store: SqliteStore) -> Vault:
    # Not closed here: closing the store is the `store` fixture's job.
    return Vault(store, embeddings=Embeddings(store, store, background=False))


@pytest.fixture
def raw(db: Path, store: SqliteStore) -> Iterator[apsw.Connection]:
    conn = open_connection(db, reader=True)
    yield conn
    conn.close()


def remember(vault: Vault, *texts: str) -> list[str]:
    return [o.id for o in vault.remember_many([MemoryDraft(t) for t in texts])]


def job_row(raw: apsw.Connection, job_id: int) -> dict[str, object]:
    cursor = raw.execute(
        "SELECT state, attempts, not_before, lease_owner, lease_until, last_error"
        " FROM jobs WHERE id = ?",
        (job_id,),
    )
    row = cursor.fetchone()
    assert row is not None
    names = ("state", "attempts", "not_before", "lease_owner", "lease_until", "last_error")
    return dict(zip(names, row, strict=True))


def store_vectors(store: SqliteStore, owner: str, tasks: list[EmbedTask]) -> int:
    return store.store_embeddings(
        owner,
        model_id=HASH.model_id,
        storage=VectorStorage.FLOAT32,
        job_ids=[t.job_id for t in tasks],
        embeddings=HASH.embed_documents([t.content for t in tasks]),
    )


# --- leases -----------------------------------------------------------------------------------
def test_claims_are_exclusive_across_threads_and_store_instances(
    db: Path, store: SqliteStore, vault: Vault, raw: apsw.Connection
) -> None:
    remember(vault, *(f"memory number {i}" for i in range(300)))
    other = SqliteStore(db)  # a second instance: its own writer connection, as another process
    claimed: dict[str, list[int]] = {}

    def claim_until_empty(instance: SqliteStore, owner: str) -> None:
        mine: list[int] = []
        while tasks := instance.claim_embed_jobs(owner, limit=7, lease_seconds=60):
            mine += [t.job_id for t in tasks]
        claimed[owner] = mine

    try:
        threads = [
            threading.Thread(target=claim_until_empty, args=(instance, f"test:{n}:owner"))
            for n, instance in enumerate([store, store, other, other])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        other.close()
    everything = [job_id for ids in claimed.values() for job_id in ids]
    assert len(everything) == len(set(everything)) == 300
    assert sum(1 for ids in claimed.values() if ids) >= 2  # the claims really interleaved
    owners = dict(raw.execute("SELECT id, lease_owner FROM jobs WHERE state = 'running'"))
    assert owners == {job_id: owner for owner, ids in claimed.items() for job_id in ids}


def test_a_live_lease_is_respected_and_an_expired_one_reclaimed(
    store: SqliteStore, vault: Vault, raw: apsw.Connection, clock: Clock
) -> None:
    remember(vault, "slow worker's memory", "another one")
    first = store.claim_embed_jobs("test:1:slow", limit=10, lease_seconds=30)
    assert len(first) == 2 and [t.attempts for t in first] == [1, 1]
    clock.now += 29
    assert store.claim_embed_jobs("test:2:fast", limit=10, lease_seconds=30) == []

    clock.now += 2  # the lease ran out: the jobs are anyone's again, as retries (one by one)
    second = store.claim_embed_jobs("test:2:fast", limit=10, lease_seconds=30)
    second += store.claim_embed_jobs("test:2:fast", limit=10, lease_seconds=30)
    assert [t.job_id for t in second] == [t.job_id for t in first]
    assert [t.attempts for t in second] == [2, 2]
    assert store_vectors(store, "test:1:slow", first) == 0  # too late: it lost the lease
    assert store_vectors(store, "test:2:fast", second) == 2
    assert store.job_counts().done == 2
    puts = raw.execute("SELECT memory_pk, count(*) FROM vector_log GROUP BY memory_pk").fetchall()
    assert sorted(n for _, n in puts) == [1, 1]  # each vector written exactly once


def test_leases_of_dead_processes_on_this_host_are_reclaimed_at_once(
    store: SqliteStore, vault: Vault, raw: apsw.Connection
) -> None:
    ids = remember(vault, "held by a dead process", "held on another host")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_owner = f"{socket.gethostname()}:{int(gone.stdout)}:deadbeef"
    (dead_task,) = store.claim_embed_jobs(dead_owner, limit=1, lease_seconds=3600)
    remote_owner = "some-other-host:1:cafe"
    (remote_task,) = store.claim_embed_jobs(remote_owner, limit=1, lease_seconds=3600)
    assert dead_task.memory_id == ids[0]

    worker = EmbedWorker(store, lambda: HASH, VectorStorage.FLOAT32)
    assert worker.run_once() == 1
    assert job_row(raw, dead_task.job_id)["state"] == "done"
    # A process elsewhere cannot be checked: its lease stands until it expires.
    assert job_row(raw, remote_task.job_id)["state"] == "running"
    assert job_row(raw, remote_task.job_id)["lease_owner"] == remote_owner
    assert worker.run_once() == 0


def test_a_lease_of_a_live_process_is_not_taken(store: SqliteStore, vault: Vault) -> None:
    remember(vault, "held by this very process")
    owner = f"{socket.gethostname()}:{os.getpid()}:othervault"
    store.claim_embed_jobs(owner, limit=1, lease_seconds=3600)
    worker = EmbedWorker(store, lambda: HASH, VectorStorage.FLOAT32)
    assert worker.run_once() == 0
    assert store.job_counts().running == 1


def test_release_gives_jobs_back_without_using_up_a_try(
    store: SqliteStore, vault: Vault, raw: apsw.Connection
) -> None:
    remember(vault, "released on shutdown")
    (task,) = store.claim_embed_jobs("test:1:a", limit=1, lease_seconds=60)
    store.release_jobs("test:1:a")
    assert job_row(raw, task.job_id)["state"] == "queued"
    (again,) = store.claim_embed_jobs("test:2:b", limit=1, lease_seconds=60)
    assert again.attempts == 1


# --- failures ---------------------------------------------------------------------------------
def test_failures_back_off_exponentially_then_park_with_the_error_visible(
    store: SqliteStore, vault: Vault, raw: apsw.Connection, clock: Clock
) -> None:
    (memory_id,) = remember(vault, "breaks the model")
    owner = "test:1:a"
    delays = []
    for attempt in (1, 2, 3):
        (task,) = store.claim_embed_jobs(owner, limit=5, lease_seconds=60)
        assert task.attempts == attempt
        store.fail_embed_jobs(
            owner, [task.job_id], f"model exploded ({attempt})", max_attempts=4, backoff_seconds=10
        )
        row = job_row(raw, task.job_id)
        assert (row["state"], row["last_error"]) == ("queued", f"model exploded ({attempt})")
        delays.append(float(row["not_before"]) - clock.now)  # type: ignore[arg-type]
        clock.now += delays[-1] - 0.5
        assert store.claim_embed_jobs(owner, limit=5, lease_seconds=60) == []  # backing off
        clock.now += 0.5
    assert delays == [10.0, 20.0, 40.0]
    assert vault.job_failures() == []  # not failed yet: still being retried

    (task,) = store.claim_embed_jobs(owner, limit=5, lease_seconds=60)
    store.fail_embed_jobs(
        owner, [task.job_id], "model exploded (4)", max_attempts=4, backoff_seconds=10
    )
    assert job_row(raw, task.job_id)["state"] == "failed"
    clock.now += 10_000
    assert store.claim_embed_jobs(owner, limit=5, lease_seconds=60) == []  # parked for good
    counts = vault.jobs()
    assert (counts.queued, counts.running, counts.failed, counts.pending) == (0, 0, 1, 0)
    (failure,) = vault.job_failures()
    assert (failure.memory_id, failure.attempts, failure.error) == (
        memory_id,
        4,
        "model exploded (4)",
    )


def test_a_failure_reported_by_a_worker_that_lost_its_lease_changes_nothing(
    store: SqliteStore, vault: Vault, raw: apsw.Connection, clock: Clock
) -> None:
    remember(vault, "taken over")
    (old,) = store.claim_embed_jobs("test:1:old", limit=1, lease_seconds=5)
    clock.now += 6
    (new,) = store.claim_embed_jobs("test:2:new", limit=1, lease_seconds=60)
    store.fail_embed_jobs("test:1:old", [old.job_id], "late", max_attempts=1, backoff_seconds=1)
    row = job_row(raw, new.job_id)
    assert (row["state"], row["lease_owner"], row["last_error"]) == ("running", "test:2:new", None)


def test_retry_failed_jobs_queues_them_afresh(
    store: SqliteStore, vault: Vault, raw: apsw.Connection, clock: Clock
) -> None:
    ids = remember(vault, "failed once", "failed twice", "fine")
    tasks = store.claim_embed_jobs("test:1:a", limit=3, lease_seconds=60)
    store.fail_embed_jobs(
        "test:1:a", [t.job_id for t in tasks[:2]], "down", max_attempts=1, backoff_seconds=1
    )
    store_vectors(store, "test:1:a", tasks[2:])
    assert {f.memory_id for f in vault.job_failures()} == set(ids[:2])

    assert vault.retry_failed_jobs() == 2
    assert vault.job_failures() == []
    counts = vault.jobs()
    assert (counts.queued, counts.done, counts.failed) == (2, 1, 0)
    again = store.claim_embed_jobs("test:1:a", limit=1, lease_seconds=60)
    assert [t.attempts for t in again] == [1]  # a full set of tries again
    assert vault.retry_failed_jobs() == 0


def test_parked_failures_are_not_revived_by_a_backfill(store: SqliteStore, vault: Vault) -> None:
    remember(vault, "parked")
    (task,) = store.claim_embed_jobs("test:1:a", limit=1, lease_seconds=60)
    store.fail_embed_jobs("test:1:a", [task.job_id], "bad", max_attempts=1, backoff_seconds=1)
    assert store.enqueue_missing_embeddings() == 0
    counts = vault.wait_for_jobs(timeout=10)
    assert (counts.queued, counts.failed, counts.done) == (0, 1, 0)


def test_an_open_job_is_queued_only_once(store: SqliteStore, vault: Vault) -> None:
    remember(vault, "queued once")
    assert store.enqueue_missing_embeddings() == 0
    assert vault.jobs().queued == 1


# --- retries one at a time --------------------------------------------------------------------
def test_retries_are_claimed_one_at_a_time_and_never_with_fresh_jobs(
    store: SqliteStore, vault: Vault, clock: Clock
) -> None:
    remember(vault, *(f"first batch {i}" for i in range(5)))
    batch = store.claim_embed_jobs("test:1:a", limit=32, lease_seconds=60)
    assert len(batch) == 5
    store.fail_embed_jobs(
        "test:1:a",
        [t.job_id for t in batch],
        "one text broke the batch",
        max_attempts=5,
        backoff_seconds=1,
    )
    clock.now += 2

    fresh = remember(vault, "new 1", "new 2", "new 3")
    # Fresh work goes first, in a batch of its own: a retried text that broke one batch must
    # not break (and use up the tries of) another.
    taken = store.claim_embed_jobs("test:1:a", limit=32, lease_seconds=60)
    assert sorted(t.memory_id for t in taken) == sorted(fresh)
    assert {t.attempts for t in taken} == {1}
    store_vectors(store, "test:1:a", taken)

    for _ in range(5):
        (retry,) = store.claim_embed_jobs("test:1:a", limit=32, lease_seconds=60)
        assert retry.attempts == 2
        store_vectors(store, "test:1:a", [retry])
    assert store.claim_embed_jobs("test:1:a", limit=32, lease_seconds=60) == []
    assert vault.jobs().done == 8


def test_vectors_stored_for_claimed_jobs_match_their_memories(
    store: SqliteStore, vault: Vault, raw: apsw.Connection
) -> None:
    ids = remember(vault, "alpha text", "beta text")
    tasks = store.claim_embed_jobs("test:1:a", limit=10, lease_seconds=60)
    assert {t.memory_id: t.content for t in tasks} == dict(
        zip(ids, ["alpha text", "beta text"], strict=True)
    )
    store_vectors(store, "test:1:a", list(reversed(tasks)))
    for memory_id, text in zip(ids, ["alpha text", "beta text"], strict=True):
        (pk,) = raw.execute("SELECT pk FROM memories WHERE id = ?", (memory_id,)).fetchone()
        (blob,) = raw.execute(
            "SELECT embedding FROM memory_vectors WHERE rowid = ?", (pk,)
        ).fetchone()
        np.testing.assert_allclose(np.frombuffer(blob, np.float32), HASH.embed_query(text))


def test_new_text_for_a_parked_memory_clears_its_failure(
    store: SqliteStore, vault: Vault, raw: apsw.Connection
) -> None:
    # The failure was about text that no longer exists: it must neither linger in the report
    # nor, revived by --retry-failed, collide with the new text's job.
    (broken, other) = remember(vault, "text the model rejects", "another rejected text")
    tasks = store.claim_embed_jobs("test:1:a", limit=2, lease_seconds=60)
    store.fail_embed_jobs(
        "test:1:a", [t.job_id for t in tasks], "rejected", max_attempts=1, backoff_seconds=1
    )
    vault.update(broken, content="text the model accepts")
    assert [f.memory_id for f in vault.job_failures()] == [other]
    assert vault.retry_failed_jobs() == 1  # only `other`; must not raise
    counts = vault.wait_for_jobs(timeout=10)
    assert (counts.done, counts.failed, counts.pending) == (2, 0, 0)
    assert raw.execute("SELECT count(*) FROM memory_vectors").fetchone() == (2,)


def test_a_job_whose_worker_keeps_dying_is_parked(
    vault: Vault, store: SqliteStore, clock: Clock
) -> None:
    """A text that kills the embedding process must not be claimed forever."""
    remember(vault, "the text that crashes the model")
    for attempt in range(1, 4):
        (task,) = store.claim_embed_jobs(f"w{attempt}", limit=8, lease_seconds=60, max_attempts=3)
        assert task.attempts == attempt
        clock.now += 61  # the worker died: its lease runs out
    assert store.claim_embed_jobs("w4", limit=8, lease_seconds=60, max_attempts=3) == []
    (failure,) = vault.job_failures()
    assert failure.attempts == 3 and "stopped while working on this" in failure.error
    assert vault.jobs().failed == 1 and vault.jobs().pending == 0
