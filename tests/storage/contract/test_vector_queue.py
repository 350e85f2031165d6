"""VectorStore, the job queue: exclusive leases, reclaiming, backoff, parking, retrying.

Time is the engine's clock, replaced by the ``clock`` fixture with one the test moves, so leases
and backoff are checked exactly and without sleeping. Two tests run the embed worker of
:mod:`memvault.service.worker` over the store: it is the queue's consumer, and what it needs
from an engine (the owners of running leases, voiding a dead owner's) is part of the contract.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import numpy as np

from memvault.core.records import MemoryPatch
from memvault.core.vector_records import EmbedTask, VectorStorage
from memvault.service.worker import EmbedWorker
from memvault.storage.roles import Store, VectorStore
from tests.storage.contract.conftest import Clock, EngineFactory
from tests.storage.contract.helpers import HASH, insert

# A child process claims jobs under its own pid and exits holding them: a real dead owner.
CLAIM_AND_DIE = """
import os, socket, sys
from memvault.storage import open_store
store = open_store(sys.argv[1])
owner = f"{socket.gethostname()}:{os.getpid()}:child"
tasks = store.claim_embed_jobs(owner, limit=int(sys.argv[2]), lease_seconds=3600)
store.close()
print(owner, *(task.job_id for task in tasks))
"""


def store_vectors(store: VectorStore, owner: str, tasks: list[EmbedTask]) -> int:
    return store.store_embeddings(
        owner,
        model_id=HASH.model_id,
        storage=VectorStorage.FLOAT32,
        job_ids=[t.job_id for t in tasks],
        embeddings=HASH.embed_documents([t.content for t in tasks]),
    )


def claim(
    store: VectorStore, owner: str, limit: int = 10, max_attempts: int = 5
) -> list[EmbedTask]:
    return store.claim_embed_jobs(owner, limit=limit, lease_seconds=60, max_attempts=max_attempts)


def fail(store: VectorStore, owner: str, tasks: list[EmbedTask], error: str, tries: int) -> None:
    store.fail_embed_jobs(
        owner, [t.job_id for t in tasks], error, max_attempts=tries, backoff_seconds=10
    )


# --- leases -----------------------------------------------------------------------------------
def test_claims_are_exclusive_across_threads_and_store_instances(
    store: Store, second_store: Store
) -> None:
    insert(store, *(f"memory number {i}" for i in range(300)), embed=True)
    claimed: dict[str, list[EmbedTask]] = {}

    def claim_until_empty(instance: VectorStore, owner: str) -> None:
        mine: list[EmbedTask] = []
        while tasks := instance.claim_embed_jobs(owner, limit=7, lease_seconds=60):
            mine += tasks
        claimed[owner] = mine

    instances = [store, store, second_store, second_store]
    threads = [
        threading.Thread(target=claim_until_empty, args=(instance, f"test:{n}:owner"))
        for n, instance in enumerate(instances)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    everything = [t.job_id for tasks in claimed.values() for t in tasks]
    assert len(everything) == len(set(everything)) == 300
    busy = {owner for owner, tasks in claimed.items() if tasks}
    assert len(busy) >= 2  # the claims really interleaved
    assert sorted(store.running_job_owners()) == sorted(busy)
    assert store.job_counts().running == 300
    # Each owner holds exactly what it claimed: nobody can settle another's jobs.
    owners = sorted(busy)
    assert store_vectors(store, owners[0], claimed[owners[1]]) == 0
    for owner in owners:
        assert store_vectors(second_store, owner, claimed[owner]) == len(claimed[owner])
    assert store.job_counts().done == 300 and not store.has_pending_jobs()


def test_a_live_lease_is_respected_and_an_expired_one_reclaimed(store: Store, clock: Clock) -> None:
    ids = insert(store, "slow worker's memory", "another one", embed=True)
    first = claim(store, "test:1:slow")
    assert len(first) == 2 and [t.attempts for t in first] == [1, 1]
    clock.advance(59)
    assert claim(store, "test:2:fast") == []

    clock.advance(2)  # the lease ran out: the jobs are anyone's again, as retries (one by one)
    second = claim(store, "test:2:fast") + claim(store, "test:2:fast")
    assert [t.job_id for t in second] == [t.job_id for t in first]
    assert [t.attempts for t in second] == [2, 2]
    assert store_vectors(store, "test:1:slow", first) == 0  # too late: it lost the lease
    assert store.vector_config() is None  # and wrote nothing, not even the vault's model
    assert store_vectors(store, "test:2:fast", second) == 2
    counts = store.job_counts()
    assert (counts.done, counts.total) == (2, 2)
    assert set(store.vectors_of(ids)) == set(ids)


def test_leases_of_dead_owners_are_void_at_once(store: Store) -> None:
    dead, alive = insert(store, "held by a dead worker", "held by a live one", embed=True)
    (dead_task,) = store.claim_embed_jobs("host:1:dead", limit=1, lease_seconds=3600)
    (live_task,) = store.claim_embed_jobs("host:2:alive", limit=1, lease_seconds=3600)
    assert sorted(store.running_job_owners()) == ["host:1:dead", "host:2:alive"]
    (taken,) = store.claim_embed_jobs(
        "host:3:new", limit=5, lease_seconds=60, dead_owners=["host:1:dead"]
    )
    assert (taken.job_id, taken.memory_id, taken.attempts) == (dead_task.job_id, dead, 2)
    assert sorted(store.running_job_owners()) == ["host:2:alive", "host:3:new"]
    assert store_vectors(store, "host:1:dead", [dead_task]) == 0
    assert store_vectors(store, "host:2:alive", [live_task]) == 1
    assert live_task.memory_id == alive


def test_a_claim_made_by_another_process_is_seen_and_outlives_it(
    engine: EngineFactory, store: Store
) -> None:
    insert(store, "first", "second", "third", embed=True)
    child = subprocess.run(
        [sys.executable, "-c", CLAIM_AND_DIE, engine.location, "2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    owner, *job_ids = child.stdout.split()
    assert len(job_ids) == 2
    assert store.running_job_owners() == [owner]
    counts = store.job_counts()
    assert (counts.running, counts.queued) == (2, 1)
    # The embed worker here sees that process is gone and takes its jobs over at once.
    worker = EmbedWorker(store, lambda: HASH, VectorStorage.FLOAT32)
    settled = 0
    while worked := worker.run_once():
        settled += worked
    assert settled == 3
    assert store.job_counts().done == 3 and store.running_job_owners() == []


def test_a_lease_on_another_host_stands_until_it_expires(store: Store) -> None:
    insert(store, "held on another host", "free", embed=True)
    remote = "some-other-host:1:cafe"
    (remote_task,) = store.claim_embed_jobs(remote, limit=1, lease_seconds=3600)
    worker = EmbedWorker(store, lambda: HASH, VectorStorage.FLOAT32)
    assert worker.run_once() == 1  # the free job only: a process elsewhere cannot be checked
    assert worker.run_once() == 0
    assert store.running_job_owners() == [remote]
    assert store_vectors(store, remote, [remote_task]) == 1


def test_a_lease_of_a_live_process_is_not_taken(store: Store) -> None:
    insert(store, "held by this very process", embed=True)
    owner = f"{socket.gethostname()}:{os.getpid()}:othervault"
    store.claim_embed_jobs(owner, limit=1, lease_seconds=3600)
    worker = EmbedWorker(store, lambda: HASH, VectorStorage.FLOAT32)
    assert worker.run_once() == 0
    assert store.job_counts().running == 1 and store.running_job_owners() == [owner]


def test_release_gives_jobs_back_without_using_up_a_try(store: Store) -> None:
    insert(store, "released on shutdown", embed=True)
    (task,) = claim(store, "test:1:a")
    store.release_jobs("test:1:a")
    counts = store.job_counts()
    assert (counts.queued, counts.running) == (1, 0) and store.running_job_owners() == []
    (again,) = claim(store, "test:2:b")
    assert (again.job_id, again.attempts) == (task.job_id, 1)
    store.release_jobs("test:1:a")  # holds nothing any more: nothing happens
    assert store.running_job_owners() == ["test:2:b"]


# --- failures ---------------------------------------------------------------------------------
def test_failures_back_off_exponentially_then_park_with_the_error_visible(
    store: Store, clock: Clock
) -> None:
    (memory_id,) = insert(store, "breaks the model", embed=True)
    owner = "test:1:a"
    for attempt, delay in ((1, 10.0), (2, 20.0), (3, 40.0)):
        (task,) = claim(store, owner)
        assert task.attempts == attempt
        fail(store, owner, [task], f"model exploded ({attempt})", tries=4)
        assert store.job_counts().queued == 1 and store.job_failures(10) == []
        clock.advance(delay - 0.5)
        assert claim(store, owner) == []  # backing off
        clock.advance(0.5)
    assert store.job_failures(10) == []  # not failed yet: still being retried

    (task,) = claim(store, owner)
    assert task.attempts == 4
    fail(store, owner, [task], "model exploded (4)", tries=4)
    clock.advance(10_000)
    assert claim(store, owner) == []  # parked for good
    counts = store.job_counts()
    assert (counts.queued, counts.running, counts.failed, counts.pending) == (0, 0, 1, 0)
    assert not store.has_pending_jobs()
    (failure,) = store.job_failures(10)
    assert (failure.job_id, failure.memory_id, failure.attempts, failure.error) == (
        task.job_id,
        memory_id,
        4,
        "model exploded (4)",
    )


def test_backoff_is_capped(store: Store, clock: Clock) -> None:
    insert(store, "fails a lot", embed=True)
    for attempt in range(1, 13):
        (task,) = claim(store, "test:1:a", max_attempts=99)
        assert task.attempts == attempt
        store.fail_embed_jobs(
            "test:1:a", [task.job_id], "again", max_attempts=99, backoff_seconds=10
        )
        clock.advance(301)  # a few minutes at most, never 10 * 2**11 seconds
    assert len(claim(store, "test:1:a", max_attempts=99)) == 1


def test_a_failure_reported_by_a_worker_that_lost_its_lease_changes_nothing(
    store: Store, clock: Clock
) -> None:
    insert(store, "taken over", embed=True)
    (old,) = store.claim_embed_jobs("test:1:old", limit=1, lease_seconds=5)
    clock.advance(6)
    (new,) = store.claim_embed_jobs("test:2:new", limit=1, lease_seconds=60)
    fail(store, "test:1:old", [old], "late", tries=1)
    counts = store.job_counts()
    assert (counts.running, counts.failed) == (1, 0) and store.job_failures(10) == []
    assert store.running_job_owners() == ["test:2:new"]
    assert store_vectors(store, "test:2:new", [new]) == 1


def test_retry_failed_jobs_queues_them_afresh(store: Store) -> None:
    ids = insert(store, "failed once", "failed twice", "fine", embed=True)
    tasks = claim(store, "test:1:a", limit=3)
    fail(store, "test:1:a", tasks[:2], "down", tries=1)
    store_vectors(store, "test:1:a", tasks[2:])
    assert {f.memory_id for f in store.job_failures(10)} == set(ids[:2])

    assert store.retry_failed_jobs() == 2
    assert store.job_failures(10) == []
    counts = store.job_counts()
    assert (counts.queued, counts.done, counts.failed) == (2, 1, 0)
    again = claim(store, "test:1:a", limit=1)
    assert [t.attempts for t in again] == [1]  # a full set of tries again
    assert store.retry_failed_jobs() == 0


def test_job_failures_are_newest_first_within_the_limit(store: Store) -> None:
    ids = insert(store, "one", "two", "three", embed=True)
    for memory_id in ids:  # fail them one by one, in order
        (task,) = claim(store, "test:1:a", limit=1)
        assert task.memory_id == memory_id
        fail(store, "test:1:a", [task], f"error of {memory_id}", tries=1)
    failures = store.job_failures(10)
    assert [f.memory_id for f in failures] == list(reversed(ids))
    assert [f.error for f in failures] == [f"error of {i}" for i in reversed(ids)]
    assert [f.memory_id for f in store.job_failures(2)] == list(reversed(ids))[:2]


def test_parked_failures_are_not_revived_by_a_backfill(store: Store) -> None:
    insert(store, "parked", embed=True)
    (task,) = claim(store, "test:1:a", limit=1)
    fail(store, "test:1:a", [task], "bad", tries=1)
    assert store.enqueue_missing_embeddings() == 0
    counts = store.job_counts()
    assert (counts.queued, counts.failed, counts.done) == (0, 1, 0)
    assert claim(store, "test:1:a") == [] and not store.has_pending_jobs()


def test_a_backfill_queues_only_memories_with_no_vector_and_no_job(store: Store) -> None:
    (embedded,) = insert(store, "has a vector", embed=True)
    store_vectors(store, "test:1:a", claim(store, "test:1:a"))
    (parked,) = insert(store, "parked", embed=True)
    fail(store, "test:1:a", claim(store, "test:1:a"), "bad", tries=1)
    (queued,) = insert(store, "has a job", embed=True)
    bare = insert(store, "no job", "no job either")
    assert store.enqueue_missing_embeddings() == 2
    assert {t.memory_id for t in claim(store, "test:1:a")} == {queued, *bare}
    assert store.enqueue_missing_embeddings() == 0
    counts = store.job_counts()
    assert (counts.running, counts.done, counts.failed) == (3, 1, 1)
    assert set(store.vectors_of([embedded, parked, queued, *bare])) == {embedded}


def test_an_open_job_is_queued_only_once(store: Store) -> None:
    insert(store, "queued once", embed=True)
    assert store.enqueue_missing_embeddings() == 0
    assert store.job_counts().queued == 1


# --- retries one at a time --------------------------------------------------------------------
def test_retries_are_claimed_one_at_a_time_and_never_with_fresh_jobs(
    store: Store, clock: Clock
) -> None:
    insert(store, *(f"first batch {i}" for i in range(5)), embed=True)
    batch = claim(store, "test:1:a", limit=32)
    assert len(batch) == 5
    store.fail_embed_jobs(
        "test:1:a",
        [t.job_id for t in batch],
        "one text broke the batch",
        max_attempts=5,
        backoff_seconds=1,
    )
    clock.advance(2)

    fresh = insert(store, "new 1", "new 2", "new 3", embed=True)
    # Fresh work goes first, in a batch of its own: a retried text that broke one batch must
    # not break (and use up the tries of) another.
    taken = claim(store, "test:1:a", limit=32)
    assert sorted(t.memory_id for t in taken) == sorted(fresh)
    assert {t.attempts for t in taken} == {1}
    store_vectors(store, "test:1:a", taken)

    for _ in range(5):
        (retry,) = claim(store, "test:1:a", limit=32)
        assert retry.attempts == 2
        store_vectors(store, "test:1:a", [retry])
    assert claim(store, "test:1:a", limit=32) == []
    assert store.job_counts().done == 8


def test_a_job_whose_worker_keeps_dying_is_parked(store: Store, clock: Clock) -> None:
    """A text that kills the embedding process must not be claimed forever."""
    insert(store, "the text that crashes the model", embed=True)
    for attempt in range(1, 4):
        (task,) = claim(store, f"w{attempt}", limit=8, max_attempts=3)
        assert task.attempts == attempt
        clock.advance(61)  # the worker died: its lease runs out
    assert claim(store, "w4", limit=8, max_attempts=3) == []
    (failure,) = store.job_failures(10)
    assert failure.attempts == 3 and "stopped while working on this" in failure.error
    assert store.job_counts().failed == 1 and store.job_counts().pending == 0


def test_claimed_jobs_carry_their_memories_text_and_store_their_vectors(store: Store) -> None:
    ids = insert(store, "alpha text", "beta text", embed=True)
    tasks = claim(store, "test:1:a")
    assert {t.memory_id: t.content for t in tasks} == dict(
        zip(ids, ["alpha text", "beta text"], strict=True)
    )
    store_vectors(store, "test:1:a", list(reversed(tasks)))  # any order: by job id
    stored = store.vectors_of(ids)
    for memory_id, text in zip(ids, ["alpha text", "beta text"], strict=True):
        np.testing.assert_allclose(stored[memory_id], HASH.embed_query(text), atol=1e-6)


def test_new_text_for_a_parked_memory_clears_its_failure(store: Store) -> None:
    # The failure was about text that no longer exists: it must neither linger in the report
    # nor, revived by --retry-failed, collide with the new text's job.
    broken, other = insert(store, "text the model rejects", "another rejected text", embed=True)
    fail(store, "test:1:a", claim(store, "test:1:a", limit=2), "rejected", tries=1)
    store.update_memory(
        broken, MemoryPatch(content="text the model accepts"), "2026-01-01T00:00:00Z", embed=True
    )
    assert [f.memory_id for f in store.job_failures(10)] == [other]
    assert store.retry_failed_jobs() == 1  # only `other`; must not raise
    tasks = claim(store, "test:1:a")
    assert {t.memory_id: t.content for t in tasks} == {
        broken: "text the model accepts",
        other: "another rejected text",
    }
    assert store_vectors(store, "test:1:a", tasks) == 2
    counts = store.job_counts()
    assert (counts.done, counts.failed, counts.pending) == (2, 0, 0)
    assert set(store.vectors_of([broken, other])) == {broken, other}
