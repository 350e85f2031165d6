"""One pool of embedding threads for every open tenant, taken in turns.

A vault on its own embeds in a thread of its own (:class:`~memvault.service.worker.EmbedWorker`);
five hundred tenants must not mean five hundred threads and five hundred copies of a model.
Here every tenant vault is opened with the one shared embedder and no thread, and a tenant with
work waiting is put in a queue (:meth:`SharedEmbedding.wake`: after any request of its, when it
opens, and every ``SWEEP_SECONDS`` for the open ones, for jobs that were backing off). A thread
takes the tenant at the head, embeds one batch of its jobs, and puts it at the back if more
remain: a tenant that imports 100,000 memories gets one batch in turn with every other tenant,
so a small tenant's new memory waits for at most one batch per busy tenant, not for the import.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager

from memvault.service.vault import Vault

log = logging.getLogger(__name__)
SWEEP_SECONDS = 30.0

Leaser = Callable[[str], AbstractContextManager[Vault] | None]


class SharedEmbedding:
    def __init__(
        self,
        lease: Leaser,
        open_names: Callable[[], list[str]],
        *,
        threads: int = 1,
    ) -> None:
        self._lease = lease  # a lease on an open tenant's vault; None if it is gone
        self._open_names = open_names
        self._threads_wanted = max(1, threads)
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()
        self._busy: set[str] = set()
        self._again: set[str] = set()  # woken while a thread was at it: queue it after
        self._cond = threading.Condition()
        self._stop = False
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for number in range(self._threads_wanted):
            thread = threading.Thread(
                target=self._run, name=f"memvault-embed-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        sweeper = threading.Thread(target=self._sweep, name="memvault-embed-sweep", daemon=True)
        sweeper.start()
        self._threads.append(sweeper)

    def wake(self, tenant: str) -> None:
        with self._cond:
            if tenant in self._busy:
                self._again.add(tenant)
            elif tenant not in self._queued:
                self._queued.add(tenant)
                self._queue.append(tenant)
                self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                tenant = self._queue.popleft()
                self._queued.discard(tenant)
                self._busy.add(tenant)
            settled = self._one_batch(tenant)
            with self._cond:
                self._busy.discard(tenant)
                again = tenant in self._again
                self._again.discard(tenant)
            if settled or again:
                self.wake(tenant)

    def _one_batch(self, tenant: str) -> int:
        try:
            lease = self._lease(tenant)
            if lease is None:
                return 0
            with lease as vault:
                settled = vault.embed_batch()
        except Exception as exc:  # one tenant's failure must not stop the others' embedding
            log.warning("embedding for tenant %s failed: %s", tenant, exc)
            return 0
        return settled

    def _sweep(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stop, timeout=SWEEP_SECONDS)
                if self._stop:
                    return
            for tenant in self._open_names():
                self.wake(tenant)
