"""Rows of the embed job queue that the protocol does not show: a retried job's last error and
retry time, and what a late report of a lost lease leaves behind.

The queue's behaviour (leases, backoff, parking, retries) is the contract suite's
(``contract/test_vector_queue.py``); these check the columns ``memvault jobs`` and a person
debugging a stuck queue read. Time is the engine's clock (``time.time`` in
``vector_queue.py``), replaced here by one the test moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import apsw
import pytest

from memvault.core.records import MemoryDraft
from memvault.core.vector_records import VectorStorage
from memvault.embedding.hashing import HashEmbedder
from memvault.storage.sqlite import vector_queue
from memvault.storage.sqlite.store import SqliteStore
from tests.storage.sqlite.conftest import vault_over

NAMES = ("state", "attempts", "not_before", "lease_owner", "lease_until", "last_error")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(vector_queue, "time", fake)
    return fake


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(db)
    yield opened
    opened.close()


def remember(store: SqliteStore, *texts: str) -> list[str]:
    vault = vault_over(store, embedder="hash")  # not closed: the store fixture closes the store
    return [o.id for o in vault.remember_many([MemoryDraft(t) for t in texts])]


def job_row(raw: apsw.Connection, job_id: int) -> dict[str, object]:
    row = raw.execute(f"SELECT {', '.join(NAMES)} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    assert row is not None
    return dict(zip(NAMES, row, strict=True))


def test_a_job_backing_off_keeps_its_error_and_retry_time(
    store: SqliteStore, raw: apsw.Connection, clock: Clock
) -> None:
    remember(store, "breaks the model")
    delays = []
    for attempt in (1, 2, 3):
        (task,) = store.claim_embed_jobs("test:1:a", limit=5, lease_seconds=60)
        row = job_row(raw, task.job_id)
        assert (row["state"], row["lease_owner"], row["lease_until"]) == (
            "running",
            "test:1:a",
            clock.now + 60,
        )
        store.fail_embed_jobs(
            "test:1:a", [task.job_id], f"model exploded ({attempt})", max_attempts=4,
            backoff_seconds=10,
        )  # fmt: skip
        row = job_row(raw, task.job_id)
        assert (row["state"], row["attempts"], row["last_error"]) == (
            "queued",
            attempt,
            f"model exploded ({attempt})",
        )
        assert (row["lease_owner"], row["lease_until"]) == (None, None)
        delays.append(float(row["not_before"]) - clock.now)  # type: ignore[arg-type]
        clock.now += delays[-1]
    assert delays == [10.0, 20.0, 40.0]
    (task,) = store.claim_embed_jobs("test:1:a", limit=5, lease_seconds=60)
    store.fail_embed_jobs(
        "test:1:a", [task.job_id], "model exploded (4)", max_attempts=4, backoff_seconds=10
    )
    row = job_row(raw, task.job_id)
    assert (row["state"], row["attempts"], row["last_error"]) == ("failed", 4, "model exploded (4)")


def test_a_failure_reported_by_a_worker_that_lost_its_lease_leaves_no_trace(
    store: SqliteStore, raw: apsw.Connection, clock: Clock
) -> None:
    remember(store, "taken over")
    (old,) = store.claim_embed_jobs("test:1:old", limit=1, lease_seconds=5)
    clock.now += 6
    (new,) = store.claim_embed_jobs("test:2:new", limit=1, lease_seconds=60)
    store.fail_embed_jobs("test:1:old", [old.job_id], "late", max_attempts=1, backoff_seconds=1)
    row = job_row(raw, new.job_id)
    assert (row["state"], row["lease_owner"], row["last_error"]) == ("running", "test:2:new", None)
    assert row["lease_until"] == clock.now + 60


def test_a_stored_job_is_done_with_its_lease_and_error_cleared(
    store: SqliteStore, raw: apsw.Connection, clock: Clock
) -> None:
    remember(store, "fails once, then works")
    (task,) = store.claim_embed_jobs("test:1:a", limit=1, lease_seconds=60)
    store.fail_embed_jobs("test:1:a", [task.job_id], "flaky", max_attempts=5, backoff_seconds=1)
    clock.now += 1
    (task,) = store.claim_embed_jobs("test:1:a", limit=1, lease_seconds=60)
    assert job_row(raw, task.job_id)["last_error"] == "flaky"
    store.store_embeddings(
        "test:1:a",
        model_id="hash-384",
        storage=VectorStorage.FLOAT32,
        job_ids=[task.job_id],
        embeddings=HashEmbedder(384).embed_documents([task.content]),
    )
    row = job_row(raw, task.job_id)
    assert (row["state"], row["attempts"], row["lease_owner"], row["last_error"]) == (
        "done",
        2,
        None,
        None,
    )
