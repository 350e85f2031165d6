"""The login of a hosted server's pages: a tenant's token in, a cookie naming that tenant out.

On ``memvault serve --tenants DIR`` the login form takes a tenant's token (one of its live
entries in ``tenants.json``). The session cookie it sets is ``TENANT.ENTRY.ISSUED.NONCE.SIG``:
the tenant's name and the id of the token entry it was made from, signed (HMAC-SHA256) with a
key derived from the registry's key over the cookie *and the entry's digest*, so a cookie holds
for that very token only. Nothing in it is the client's choice: another tenant's name breaks
the signature, and a forged entry id names no entry.

Every request checks the cookie against the registry as it is now (the registry re-reads
``tenants.json`` when it changed): when the entry is rotated away (after its grace), revoked,
or its tenant removed, the session ends on the next request, in the browser that holds it and
in every copy. :meth:`TenantAuth.page_tenant` is the hook of ``server/tenants.py``'s gate: the
request's tenant comes from that cookie or a bearer token, and from nothing else.
"""

from __future__ import annotations

import secrets
import time

from starlette.requests import HTTPConnection
from starlette.types import Scope

from memvault.core.errors import NotFoundError
from memvault.core.times import now_iso
from memvault.hosting.registry import Tenant, TenantRegistry, TokenEntry
from memvault.web.auth import SESSION_COOKIE, SessionAuth, same_text

KEY_PURPOSE = b"memvault web tenant session v1"
# Paths that never need a tenant's vault: the login (the form checks the token itself), the
# static files, the health check. The gate leases no vault for them and counts no request.
NO_VAULT_PATHS = ("/login", "/healthz")
NO_VAULT_PREFIXES = ("/static/",)


class TenantAuth(SessionAuth):
    """Sessions of the tenants of one registry."""

    def __init__(self, registry: TenantRegistry) -> None:
        super().__init__(registry.derived_key(KEY_PURPOSE))
        self._registry = registry

    def login(self, token: str) -> str | None:
        found = self._registry.find_entry(token.strip())
        if found is None:
            return None
        tenant, entry = found
        value = f"{tenant.name}.{entry.id}.{int(time.time())}.{secrets.token_urlsafe(12)}"
        return f"{value}.{self._signature(value, entry)}"

    def bearer_matches(self, header: str | None) -> bool:
        return self.bearer_tenant(header) is not None

    def session_valid(self, cookie: str | None) -> bool:
        return self.session_tenant(cookie) is not None

    def bearer_tenant(self, header: str | None) -> Tenant | None:
        """The tenant of an ``Authorization: Bearer …`` header's live token."""
        if header is None or header[:7].lower() != "bearer ":
            return None
        return self._registry.find(header[7:].strip())

    def session_tenant(self, cookie: str | None) -> Tenant | None:
        """The tenant a good session cookie names, if the token entry it was made from is
        still live; None for anything else."""
        parts = (cookie or "").split(".")
        if len(parts) != 5:
            return None
        name, entry_id, issued, _nonce, signature = parts
        assert cookie is not None
        try:
            tenant = self._registry.get(name)
        except NotFoundError:  # removed (or never there)
            return None
        entry = next((t for t in tenant.tokens if t.id == entry_id), None)
        if entry is None or not entry.live(now_iso()):  # rotated away, revoked, expired
            return None
        if not same_text(signature, self._signature(cookie.rpartition(".")[0], entry)):
            return None
        return tenant if self._in_force(cookie, issued) else None

    def page_tenant(self, scope: Scope) -> Tenant | None:
        """The tenant of a page request: its bearer token's, else its session cookie's (the
        order the login gate lets a request in by, so both see the same tenant)."""
        path = str(scope.get("path", ""))
        if path in NO_VAULT_PATHS or path.startswith(NO_VAULT_PREFIXES):
            return None
        connection = HTTPConnection(scope)
        tenant = self.bearer_tenant(connection.headers.get("authorization"))
        if tenant is not None:
            return tenant
        return self.session_tenant(connection.cookies.get(SESSION_COOKIE))

    def _signature(self, value: str, entry: TokenEntry) -> str:
        return self._sign("session", f"{value}:{entry.digest}")
