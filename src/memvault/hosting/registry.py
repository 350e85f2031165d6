"""The tenants of one hosting folder: names, homes, quotas, and their tokens' hashes.

The registry is ``DIR/tenants.json``, changed only under ``DIR/.tenants.lock`` (``flock``) and
replaced in one rename, so a reader sees the old file or the new one and two admin commands
never lose each other's change. A server reads it again when it changed (a ``stat`` per lookup:
its inode, size and mtime), which is how a new tenant, a rotated token or a revocation takes
effect on the very next request without a restart. Tokens are kept as keyed hashes only
(:mod:`.tokens`); a token with an ``expires_at`` still works until then (rotation with a grace
period), one without works until it is rotated away or revoked.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from memvault.content.markdown.paths import atomic_write
from memvault.core.errors import InvalidInputError, NotFoundError, StorageError
from memvault.core.times import format_timestamp, now_iso
from memvault.hosting.quota import Quota
from memvault.hosting.stores import schema_of, tenant_store
from memvault.hosting.tokens import load_key, new_token, token_digest
from memvault.storage import claim_store, discard_store

REGISTRY_FILE = "tenants.json"
LOCK_FILE = ".tenants.lock"
ARCHIVE_FOLDER = ".archive"
FORMAT = 1
# A tenant's name is its folder's name: lower case, digits, '-' and '_', not starting with one.
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


@dataclass(frozen=True, slots=True)
class TokenEntry:
    id: str  # shown by `tenants list`, never the token
    digest: str
    created_at: str
    expires_at: str | None = None

    def live(self, at: str) -> bool:
        return self.expires_at is None or at < self.expires_at


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str
    created_at: str
    folder: bool = True  # a Markdown folder beside the database; False: DB-only
    quota: Quota = field(default_factory=Quota)
    tokens: tuple[TokenEntry, ...] = ()
    # The store URL of a tenant on PostgreSQL (its own schema, no password); None: the SQLite
    # file in its home.
    store: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "created_at": self.created_at,
            "folder": self.folder,
            "store": self.store,
            "quota": self.quota.to_dict(),
            "tokens": [
                {
                    "id": t.id,
                    "digest": t.digest,
                    "created_at": t.created_at,
                    "expires_at": t.expires_at,
                }
                for t in self.tokens
            ],
        }

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> Tenant:
        return cls(
            name=name,
            created_at=str(data["created_at"]),
            folder=bool(data.get("folder", True)),
            quota=Quota.from_dict(data.get("quota") or {}),
            tokens=tuple(
                TokenEntry(
                    str(t["id"]), str(t["digest"]), str(t["created_at"]), t.get("expires_at")
                )
                for t in data.get("tokens", ())
            ),
            store=None if data.get("store") is None else str(data["store"]),
        )


def tenant_name(text: str) -> str:
    name = text.strip()
    if not NAME.fullmatch(name):
        raise InvalidInputError(
            f"a tenant name is 1-63 of a-z, 0-9, '-' and '_', starting with a letter or digit, "
            f"not {text!r}"
        )
    return name


class TenantRegistry:
    """The tenants under ``root``. Safe across threads and processes."""

    def __init__(self, root: Path, *, create: bool = False) -> None:
        self.root = root
        self._path = root / REGISTRY_FILE
        if create:
            root.mkdir(parents=True, exist_ok=True)
        elif not self._path.is_file():
            raise InvalidInputError(
                f"no tenants at {root}: `memvault tenants add NAME --tenants {root}` makes the "
                "first one"
            )
        self._key = load_key(root)
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._tenants: dict[str, Tenant] = {}
        self._by_digest: dict[str, tuple[str, TokenEntry]] = {}

    # --- reading ----------------------------------------------------------------------------
    def tenants(self) -> list[Tenant]:
        return sorted(self._current().values(), key=lambda t: t.name)

    def get(self, name: str) -> Tenant:
        tenant = self._current().get(name)
        if tenant is None:
            raise NotFoundError(f"no tenant {name!r} (memvault tenants list shows them)")
        return tenant

    def find(self, token: str) -> Tenant | None:
        """The tenant a token belongs to, if the token is live; the only way a request gets one."""
        found = self.find_entry(token)
        return None if found is None else found[0]

    def find_entry(self, token: str) -> tuple[Tenant, TokenEntry] | None:
        """The tenant of a live token and the token's entry (a web session names the entry it
        was made from, and ends with it)."""
        tenants = self._current()
        with self._lock:
            found = self._by_digest.get(token_digest(self._key, token))
        if found is None or not found[1].live(now_iso()):
            return None
        tenant = tenants.get(found[0])
        return None if tenant is None else (tenant, found[1])

    def derived_key(self, purpose: bytes) -> bytes:
        """A key for ``purpose`` made from the registry's key (the web sessions' signing key),
        so no other part of the server reads the token key itself."""
        return hmac.new(self._key, purpose, hashlib.sha256).digest()

    def home(self, name: str) -> Path:
        return self.root / tenant_name(name)

    def _current(self) -> dict[str, Tenant]:
        try:
            info = os.stat(self._path)
        except FileNotFoundError:
            seen = None
        else:
            seen = (info.st_ino, info.st_size, info.st_mtime_ns)
        with self._lock:
            if seen is not None and seen == self._seen:
                return self._tenants
        tenants = self._read()
        by_digest = {
            t.digest: (tenant.name, t) for tenant in tenants.values() for t in tenant.tokens
        }
        with self._lock:
            self._seen, self._tenants, self._by_digest = seen, tenants, by_digest
            return tenants

    def _read(self) -> dict[str, Tenant]:
        try:
            data = json.loads(self._path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StorageError(f"cannot read {self._path}: {exc}") from exc
        if data.get("format") != FORMAT:
            raise StorageError(f"{self._path} has format {data.get('format')!r}, not {FORMAT}")
        return {name: Tenant.from_dict(name, entry) for name, entry in data["tenants"].items()}

    # --- changing ---------------------------------------------------------------------------
    @contextmanager
    def _changing(self) -> Iterator[dict[str, Tenant]]:
        """The tenants to change in place, read and written back under the registry's lock."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            tenants = self._read()
            yield tenants
            data = {
                "format": FORMAT,
                "tenants": {name: tenants[name].to_dict() for name in sorted(tenants)},
            }
            atomic_write(self._path, json.dumps(data, indent=1) + "\n", fsync=True)
            os.chmod(self._path, 0o600)
        finally:
            os.close(fd)
        self._current()

    def add(
        self,
        name: str,
        *,
        folder: bool = True,
        quota: Quota | None = None,
        database: str | None = None,
    ) -> tuple[Tenant, str]:
        """A new tenant and its first token (shown this once). Its home is made on first open.
        With ``database`` (``postgresql://HOST/DB``, no password) its index is a schema of its
        own there (:mod:`.stores`), made empty now: one that is there already (a removed
        tenant's, or another hosting folder's tenant of that name) is refused, never shared."""
        name = tenant_name(name)
        store = None if database is None else tenant_store(name, database)
        self._refuse_taken(self._read(), name)  # before a schema is made for a taken name
        if store is not None and not claim_store(store):
            raise InvalidInputError(
                f"schema {schema_of(store)} is on that server already (a removed tenant's, kept "
                "without --purge?): drop it there first, or choose another name"
            )
        token, entry = self._new_entry()
        try:
            with self._changing() as tenants:
                self._refuse_taken(tenants, name)
                tenant = Tenant(name, now_iso(), folder, quota or Quota(), (entry,), store)
                tenants[name] = tenant
        except BaseException:
            if store is not None:  # made just now, empty: nobody else's
                discard_store(store)
            raise
        self.home(name).mkdir()
        return tenant, token

    def _refuse_taken(self, tenants: dict[str, Tenant], name: str) -> None:
        if name in tenants:
            raise InvalidInputError(f"tenant {name!r} exists already")
        if self.home(name).exists():
            raise InvalidInputError(
                f"{self.home(name)} exists but is no tenant's: move it away first"
            )

    def rotate(self, name: str, *, grace_seconds: float = 0.0) -> tuple[Tenant, str]:
        """A new token for ``name``; the old ones stop at once, or after ``grace_seconds`` (so
        clients can switch without a moment of refusals)."""
        token, entry = self._new_entry()
        until = format_timestamp(datetime.now(UTC) + timedelta(seconds=grace_seconds))
        at = now_iso()
        with self._changing() as tenants:
            tenant = self._existing(tenants, name)
            kept = tuple(
                t
                if t.expires_at is not None and t.expires_at <= until
                else replace(t, expires_at=until)
                for t in tenant.tokens
                if t.live(at) and grace_seconds > 0
            )
            tenants[name] = replace(tenant, tokens=(*kept, entry))
        return tenants[name], token

    def revoke(self, name: str) -> Tenant:
        """Every token of ``name`` stops working at the next request (its data stays)."""
        with self._changing() as tenants:
            tenants[name] = replace(self._existing(tenants, name), tokens=())
        return tenants[name]

    def set_quota(self, name: str, quota: Quota) -> Tenant:
        with self._changing() as tenants:
            tenants[name] = replace(self._existing(tenants, name), quota=quota)
        return tenants[name]

    def remove(self, name: str, *, purge: bool = False) -> Path | None:
        """Remove ``name``: its tokens stop at once; its home moves to ``DIR/.archive/`` (the
        path is returned), or with ``purge`` is deleted. A tenant on PostgreSQL keeps its
        schema on the server unless ``purge`` (archiving a schema is a dump, left to the
        admin's tools); with ``purge`` the schema is dropped after the tenant left the
        registry, so no request reaches it while it goes."""
        with self._changing() as tenants:
            removed = self._existing(tenants, name)
            del tenants[name]
        if purge and removed.store is not None:
            try:
                discard_store(removed.store)
            except StorageError as exc:
                raise StorageError(
                    f"removed tenant {name}, but its schema {schema_of(removed.store)} is still "
                    f"on the server: {exc} (drop it there: DROP SCHEMA ... CASCADE)"
                ) from exc
        home = self.home(name)
        if not home.exists():
            return None
        if purge:
            shutil.rmtree(home)
            return None
        archive = self.root / ARCHIVE_FOLDER
        archive.mkdir(exist_ok=True)
        stamp = now_iso().replace(":", "").replace("-", "")[:15]
        target = archive / f"{name}-{stamp}-{secrets.token_hex(3)}"
        home.rename(target)
        return target

    def _existing(self, tenants: dict[str, Tenant], name: str) -> Tenant:
        tenant = tenants.get(tenant_name(name))
        if tenant is None:
            raise NotFoundError(f"no tenant {name!r} (memvault tenants list shows them)")
        return tenant

    def _new_entry(self) -> tuple[str, TokenEntry]:
        token = new_token()
        return token, TokenEntry(secrets.token_hex(4), token_digest(self._key, token), now_iso())
