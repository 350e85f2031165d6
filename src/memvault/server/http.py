"""Streamable HTTP at ``/mcp``, behind a bearer token and a Host / Origin check.

The SDK's ASGI app serves both protocol eras (the 2026-07-28 stateless revision and the
``initialize`` handshake, here without sessions so any number of clients share one server).
A small ASGI guard in front refuses what must never reach a tool or a page: a Host that is not
this server's (DNS rebinding: a web page that resolves its own name to 127.0.0.1), a browser
Origin that is not allowed (403), and at ``/mcp`` a missing or wrong token (401, compared in
constant time). The web pages (``pages``, mounted at ``/``) get the same Host and Origin checks
and do their own login (a cookie made from the same token: :mod:`memvault.web.auth`). A
request with two Host, Origin or Authorization headers is refused (400) rather than read one way
here and another way by a proxy in front (or by the app behind: the guard reads the last, a
Starlette ``request.headers.get`` the first). The socket is bound before uvicorn starts, so a port
in use is one line of error, not uvicorn's log and its exit status.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from memvault.core.errors import InvalidInputError, MemvaultError

MCP_PATH = "/mcp"
MIN_TOKEN_LENGTH = 16  # 16 random characters are out of reach of guessing over the network
_SINGLE_HEADERS = (b"host", b"origin", b"authorization")
# How long an idle kept-alive connection stays open. uvicorn's 5 s is httpx's own keep-alive
# expiry (the MCP SDK's client): a client reusing a connection idle for just under 5 s sent its
# request as a busy server closed it, and got no answer (a few per thousand requests under
# load). Longer than the clients' expiry, the server is never the one to close first (nginx
# keeps 75 s too).
KEEP_ALIVE_SECONDS = 75


@dataclass(frozen=True, slots=True)
class HttpAccess:
    token: str | None  # None only with --no-auth on a loopback address
    allowed_hosts: frozenset[str]
    allowed_origins: frozenset[str]

    @classmethod
    def for_address(
        cls,
        host: str,
        port: int,
        token: str | None,
        extra_hosts: Iterable[str] = (),
        extra_origins: Iterable[str] = (),
    ) -> HttpAccess:
        if token is not None and len(token) < MIN_TOKEN_LENGTH:
            raise InvalidInputError(
                f"the bearer token has {len(token)} characters; use at least {MIN_TOKEN_LENGTH} "
                "(e.g. the output of `openssl rand -hex 16`)"
            )
        names = {host, "localhost", "127.0.0.1", "[::1]"} if is_loopback(host) else {host}
        hosts = {f"{name}:{port}" for name in names} | set(extra_hosts)
        origins = {f"http://{name}:{port}" for name in names} | set(extra_origins)
        return cls(token, frozenset(hosts), frozenset(origins))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Guard:
    def __init__(self, app: ASGIApp, access: HttpAccess) -> None:
        self._app = app
        self._access = access
        self._expected = None if access.token is None else f"Bearer {access.token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        names = [name for name, _ in raw]
        refusal: Response | None
        if any(names.count(name) > 1 for name in _SINGLE_HEADERS):
            refusal = PlainTextResponse(
                "Duplicate Host, Origin or Authorization header", status_code=400
            )
        else:
            refusal = self._refusal(dict(raw), mcp=str(scope["path"]).startswith(MCP_PATH))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self._app(scope, receive, send)

    def _refusal(self, headers: dict[bytes, bytes], *, mcp: bool) -> Response | None:
        host = headers.get(b"host", b"").decode("latin-1")
        if host not in self._access.allowed_hosts:
            return PlainTextResponse("Host not allowed", status_code=421)
        origin = headers.get(b"origin")
        if origin is not None and origin.decode("latin-1") not in self._access.allowed_origins:
            return PlainTextResponse("Origin not allowed", status_code=403)
        if (
            mcp
            and self._expected is not None
            and not hmac.compare_digest(headers.get(b"authorization", b""), self._expected)
        ):
            return JSONResponse(
                {"error": "invalid_token", "error_description": "a valid bearer token is needed"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="memvault"'},
            )
        return None


def build_http_app(
    server: MCPServer,
    access: HttpAccess,
    pages: ASGIApp | None = None,
    gate: Callable[[ASGIApp], ASGIApp] | None = None,
) -> ASGIApp:
    """MCP at ``/mcp``, ``/healthz``, and ``pages`` (the web page) at ``/`` when given;
    ``gate`` wraps them all inside the guard (a hosted server's tenant gate)."""
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        # The guard checks Host and Origin against this server's own address and the lists given
        # on the command line; the SDK's own check would allow localhost only.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        async with server.session_manager.run():  # Starlette does not run a mounted app's
            yield

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    # The SDK's app is only its /mcp route here (no auth middleware): its routes sit beside ours.
    routes: list[BaseRoute] = [Route("/healthz", health), *mcp_app.routes]
    if pages is not None:
        routes.append(Mount("/", app=pages))
    app = Starlette(routes=routes, lifespan=lifespan)
    return _Guard(app if gate is None else gate(app), access)


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening; a port in use (or an address this machine
    does not have) is a ``MemvaultError`` with one line to show."""
    bare = host.strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    try:
        return socket.create_server((bare, port), family=family)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise MemvaultError(f"cannot listen on {host}:{port}: {reason}") from exc


def run_http(
    server: MCPServer,
    sock: socket.socket,
    access: HttpAccess,
    pages: ASGIApp | None = None,
    gate: Callable[[ASGIApp], ASGIApp] | None = None,
) -> None:
    import uvicorn

    config = uvicorn.Config(
        build_http_app(server, access, pages, gate),
        log_level="warning",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    uvicorn.Server(config).run(sockets=[sock])
