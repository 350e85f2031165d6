"""The HTTP gate of a hosted server: a request's token names its tenant, and only that.

In front of ``/mcp`` (inside the Host / Origin guard of :mod:`.http`): the bearer token is
looked up in the registry (by its keyed hash); no live token is a 401 whatever else the request
says, so no header, path, argument, id, namespace or cursor can pick another tenant. The
tenant's request rate is admitted or refused (429 with ``Retry-After``); then the tenant's vault
is leased for the request and set, with the tenant, as the request's (a tool that adds data
asks :meth:`~memvault.hosting.host.Host.check_current` for the quotas first, see
``server/app.py``) (:mod:`memvault.hosting.current`), which is the only vault the tools
can reach. Pages (when served) find their tenant through ``page_tenant`` (the web login's
cookie); a page request without one goes on with no vault, to the login.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio.to_thread
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from memvault.core.errors import ConflictError
from memvault.hosting.current import reset_current, set_current
from memvault.hosting.host import Host
from memvault.hosting.registry import Tenant
from memvault.server.http import MCP_PATH

PageTenant = Callable[[Scope], Tenant | None]


class TenantGate:
    def __init__(self, app: ASGIApp, host: Host, *, page_tenant: PageTenant | None = None) -> None:
        self._app = app
        self._host = host
        self._page_tenant = page_tenant
        self._leasing = anyio.CapacityLimiter(LEASING_THREADS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path = str(scope["path"])
        if path.startswith(MCP_PATH):
            tenant = self._host.tenant_for(_bearer(scope) or "")
            if tenant is None:
                await _unauthorized(scope, receive, send)
                return
        elif self._page_tenant is not None and (found := self._page_tenant(scope)) is not None:
            tenant = found
        else:
            await self._app(scope, receive, send)  # /healthz, the login, static files
            return
        wait = self._host.rate.admit(tenant.name, tenant.quota.requests_per_minute)
        if wait is not None:
            await _too_many(tenant, wait)(scope, receive, send)
            return
        await self._serve(tenant, scope, receive, send)

    async def _serve(self, tenant: Tenant, scope: Scope, receive: Receive, send: Send) -> None:
        lease = self._host.serving(tenant)
        try:
            vault = await anyio.to_thread.run_sync(lease.__enter__, limiter=self._leasing)
        except ConflictError as exc:  # the tenant is being restored: a moment, not a fault
            response = JSONResponse(
                {"error": "unavailable", "error_description": str(exc)},
                status_code=503,
                headers={"Retry-After": "5"},
            )
            await response(scope, receive, send)
            return
        reset = set_current(tenant, vault)
        try:
            await self._app(scope, receive, send)
        finally:
            reset_current(reset)
            await anyio.to_thread.run_sync(lease.__exit__, None, None, None)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            text: str = bytes(value).decode("latin-1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip()
    return None


async def _unauthorized(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse(
        {"error": "invalid_token", "error_description": "a valid tenant token is needed"},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="memvault"'},
    )
    await response(scope, receive, send)


def _too_many(tenant: Tenant, wait: float) -> Response:
    limit = tenant.quota.requests_per_minute
    return JSONResponse(
        {"error": "rate_limited", "error_description": f"over {limit} requests per minute"},
        status_code=429,
        headers={"Retry-After": str(max(1, round(wait)))},
    )


# Threads of their own for taking a lease: a request may wait there (for its vault to open, or
# for room in the pool while every open vault is leased), and waiting in the threads the tools
# run in would leave the requests holding the leases no thread to finish on.
LEASING_THREADS = 64
