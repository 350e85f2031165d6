"""Open tenant vaults, at most ``max_open`` of them, least recently used closed first.

A request holds a lease on its tenant's vault for as long as it runs, and a leased vault is
never closed under it. The bound is hard, on open files rather than on intentions: a tenant
that is not open gets room only when fewer than ``max_open`` vaults are open or being closed;
else the least recently used unleased vault is closed first, and while every open vault is
leased the new request waits for a lease to end (fifty clients on fifty tenants with a bound
of sixteen must not mean fifty open vaults: a server's handles are sized from the bound). A
vault unused for ``idle_seconds`` is closed too (:meth:`TenantPool.close_idle`, run by the
server's reaper), and so is the vault of a tenant removed from the registry. Closing a vault
closes its last connection, which checkpoints the WAL into the database file: a closed tenant
is one file.

Opening is done outside the pool's lock (a first open runs migrations and may take a while),
once per tenant however many requests wait for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from memvault.hosting.registry import Tenant
from memvault.service.vault import Vault

log = logging.getLogger(__name__)
DEFAULT_MAX_OPEN = 64
DEFAULT_IDLE_SECONDS = 300.0

Opener = Callable[[Tenant], Vault]


@dataclass(slots=True)
class _Slot:
    vault: Vault | None = None
    leases: int = 0
    last_used: float = 0.0
    opened: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class TenantPool:
    def __init__(
        self,
        opener: Opener,
        *,
        max_open: int = DEFAULT_MAX_OPEN,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        on_open: Callable[[str], None] | None = None,
    ) -> None:
        if max_open < 1:
            raise ValueError("max_open must be at least 1")
        self._opener = opener
        self.max_open = max_open
        self.idle_seconds = idle_seconds
        self._on_open = on_open
        self._slots: OrderedDict[str, _Slot] = OrderedDict()
        # Vaults being closed: a tenant opened again waits for its old vault to be closed, so
        # one process never has two vaults (two writers, two folder locks) on one home.
        self._closing: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)  # a lease ended or a vault was closed
        self._closed = False

    @contextmanager
    def lease(self, tenant: Tenant, *, announce: bool = True) -> Iterator[Vault]:
        """The tenant's vault, open for as long as the ``with`` block runs; a vault it opens
        is announced to ``on_open`` unless ``announce`` is False."""
        slot, first = self._take(tenant.name)
        if first:
            self._open(tenant, slot, announce=announce)
        else:
            slot.opened.wait()
        try:
            if slot.vault is None:
                raise slot.error or RuntimeError(f"tenant {tenant.name} did not open")
            yield slot.vault
        finally:
            self._give_back(tenant.name, slot)

    @contextmanager
    def visit(self, tenant: Tenant) -> Iterator[Vault]:
        """A lease for a look in the background (the backup schedule walking every tenant): a
        tenant that was not open is opened within the bound (the least recently used unleased
        vault is closed first when the pool is full) and closed again afterwards, unless a
        request leased it meanwhile. A walk over 500 tenants so keeps at most ``max_open`` open
        and leaves the open set as the requests made it. A vault a visit opens is not announced
        (no embedding is started for it: that waits for the tenant's own next use)."""
        with self._lock:
            was_open = tenant.name in self._slots
            making_room = [] if was_open else self._over_bound(room=1)
        self._close_all(making_room)
        with self.lease(tenant, announce=False) as vault:
            yield vault
        if not was_open:
            with self._lock:
                slot = self._slots.get(tenant.name)
                idle = slot is not None and slot.leases == 0 and slot.vault is not None
                closing = [self._pop(tenant.name)] if idle else []
            self._close_all(closing)

    def open_names(self) -> list[str]:
        with self._lock:
            return [name for name, slot in self._slots.items() if slot.vault is not None]

    def close_idle(self, *, keep: Callable[[str], bool] = lambda _name: True) -> list[str]:
        """Close vaults unused for ``idle_seconds`` and those ``keep`` says no to (a removed
        tenant); returns their names."""
        now = time.monotonic()
        with self._lock:
            gone = [
                name
                for name, slot in self._slots.items()
                if slot.leases == 0
                and slot.vault is not None
                and (now - slot.last_used >= self.idle_seconds or not keep(name))
            ]
            closing = [self._pop(name) for name in gone]
        self._close_all(closing)
        return gone

    def close(self) -> None:
        """Close every vault (the server is stopping); waits for leases to end."""
        with self._lock:
            self._closed = True
            self._room.notify_all()  # requests waiting for room give up
        while True:
            with self._lock:
                busy = any(slot.leases for slot in self._slots.values())
                if not busy:
                    closing = [self._pop(name) for name in list(self._slots)]
                    break
            time.sleep(0.05)
        self._close_all(closing)

    # --- inside -----------------------------------------------------------------------------
    def _take(self, name: str) -> tuple[_Slot, bool]:
        """A lease on ``name``'s slot; ``first`` when the slot is new (its vault to be opened
        by the caller). At the bound this closes the least recently used unleased vault to
        make room, or waits for a lease to end while there is none."""
        while True:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the tenant pool is closed")
                slot = self._slots.get(name)
                if slot is not None or len(self._slots) + len(self._closing) < self.max_open:
                    return self._lease_slot(name, slot)
                victim = next(
                    (n for n, s in self._slots.items() if s.leases == 0 and s.vault is not None),
                    None,
                )
                if victim is None:
                    self._room.wait()
                    continue
                closing = [self._pop(victim)]
            self._close_all(closing)

    def _lease_slot(self, name: str, slot: _Slot | None) -> tuple[_Slot, bool]:
        """Under the lock: one more lease on the slot (made if None), now the most recent."""
        first = slot is None
        if slot is None:
            slot = self._slots[name] = _Slot()
        slot.leases += 1
        self._slots.move_to_end(name)
        return slot, first

    def _open(self, tenant: Tenant, slot: _Slot, *, announce: bool) -> None:
        with self._lock:
            closing = self._closing.get(tenant.name)
        if closing is not None:
            closing.wait()
        try:
            slot.vault = self._opener(tenant)
        except BaseException as exc:
            slot.error = exc
            with self._lock:
                if self._slots.get(tenant.name) is slot:
                    del self._slots[tenant.name]
                self._room.notify_all()
            raise
        finally:
            slot.opened.set()
        if announce and self._on_open is not None:
            self._on_open(tenant.name)

    def _give_back(self, name: str, slot: _Slot) -> None:
        with self._lock:
            slot.leases -= 1
            slot.last_used = time.monotonic()
            self._room.notify_all()  # its vault may now be closed for a waiting tenant
            closing = self._over_bound()
        self._close_all(closing)

    def _pop(self, name: str) -> tuple[str, _Slot]:
        """Take a slot out to close it (under the lock): until it is closed, a new open of the
        tenant waits (``_closing``)."""
        self._closing[name] = threading.Event()
        return name, self._slots.pop(name)

    def _over_bound(self, *, room: int = 0) -> list[tuple[str, _Slot]]:
        """The least recently used unleased vaults beyond ``max_open`` (under the lock), or
        beyond ``max_open - room`` to make room for ``room`` more."""
        excess = len(self._slots) + room - self.max_open
        closing: list[tuple[str, _Slot]] = []
        if excess <= 0:
            return closing
        for name, slot in list(self._slots.items()):
            if len(closing) >= excess:
                break
            if slot.leases == 0 and slot.vault is not None:
                closing.append(self._pop(name))
        return closing

    def _close_all(self, closing: list[tuple[str, _Slot]]) -> None:
        """Close popped slots' vaults (outside the lock; see ``_closing``)."""
        for name, slot in closing:
            with self._lock:
                done = self._closing[name]
            try:
                if slot.vault is not None:
                    slot.vault.close()
            except Exception as exc:  # the next open of this tenant will say more
                log.warning("closing tenant %s failed: %s", name, exc)
            finally:
                with self._lock:
                    if self._closing.get(name) is done:
                        del self._closing[name]
                    self._room.notify_all()
                done.set()
