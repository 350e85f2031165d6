"""The HTTP gate of a hosted server: a request's token names its tenant, and only that.

In front of ``/mcp`` (inside the Host / Origin guard of :mod:`.http`): the bearer token is
looked up in the registry (by its keyed hash); no live token is a 401 whatever else the request
says, so no header, path, argument, id, namespace or cursor can pick another tenant. The
tenant's request rate is admitted or refused (429 with ``Retry-After``); a ``tools/call`` of a
tool that adds data is refused as a tool error while the tenant is at a stored-data quota
(reads, search and deletes still work); then the tenant's vault is leased for the request and
set as the request's vault (:mod:`memvault.hosting.current`), which is the only vault the tools
can reach. Pages (when served) find their tenant through ``page_tenant`` (the web login's
cookie); a page request without one goes on with no vault, to the login.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from memvault.core.errors import MemvaultError
from memvault.hosting.current import reset_current, set_current
from memvault.hosting.host import Host
from memvault.hosting.registry import Tenant
from memvault.server.http import MCP_PATH

MAX_BODY = 32 * 1024 * 1024  # a note of the largest size the tools take, with room for JSON

PageTenant = Callable[[Scope], Tenant | None]
# Tools that change data without adding to it: a tenant at a stored-data quota may still use
# them (deleting is how it gets back under).
SHRINKING = frozenset({"forget", "note_delete", "note_move", "session_end", "validate"})


def free_tools(server: MCPServer) -> frozenset[str]:
    """The tools a tenant at its quota may still call: the read-only ones and ``SHRINKING``."""
    listed = server._tool_manager.list_tools()  # the SDK has no public list of registered tools
    read_only = {
        tool.name
        for tool in listed
        if tool.annotations is not None and tool.annotations.read_only_hint
    }
    return frozenset(read_only) | SHRINKING


class TenantGate:
    def __init__(
        self,
        app: ASGIApp,
        host: Host,
        *,
        free_tools: Collection[str],
        page_tenant: PageTenant | None = None,
    ) -> None:
        self._app = app
        self._host = host
        self._free = frozenset(free_tools)  # tools that never add data: allowed over quota
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
        vault = await anyio.to_thread.run_sync(lease.__enter__, limiter=self._leasing)
        reset = set_current(vault)
        try:
            if scope["method"] == "POST":
                body = await _body(receive)
                if body is None:
                    await Response("request body too large", status_code=413)(scope, receive, send)
                    return
                refusal = await self._quota_refusal(tenant, vault, body, str(scope["path"]))
                if refusal is not None:
                    await refusal(scope, receive, send)
                    return
                receive = _replay(body, receive)
            await self._app(scope, receive, send)
        finally:
            reset_current(reset)
            await anyio.to_thread.run_sync(lease.__exit__, None, None, None)

    async def _quota_refusal(
        self, tenant: Tenant, vault: Any, body: bytes, path: str
    ) -> Response | None:
        quota = tenant.quota
        if quota.memories is None and quota.bytes is None:
            return None
        call = _tool_call(body) if path.startswith(MCP_PATH) else None
        if path.startswith(MCP_PATH) and (call is None or call[1] in self._free):
            return None  # not a tool call (initialize, tools/list), or one that adds nothing
        try:
            await anyio.to_thread.run_sync(self._host.check_write, tenant, vault)
        except MemvaultError as exc:
            if call is None:  # a page's write
                return JSONResponse({"error": str(exc)}, status_code=403)
            result = {"content": [{"type": "text", "text": str(exc)}], "isError": True}
            return JSONResponse({"jsonrpc": "2.0", "id": call[0], "result": result})
        return None


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            text: str = bytes(value).decode("latin-1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip()
    return None


def _tool_call(body: bytes) -> tuple[Any, str] | None:
    """The id and tool name of a JSON-RPC ``tools/call``; None for anything else."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return None
    params = message.get("params")
    name = params.get("name") if isinstance(params, dict) else None
    return (message.get("id"), name) if isinstance(name, str) else None


async def _body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, then: Receive) -> Receive:
    """The body read already, then what the client sends next (its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then()

    return receive


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
