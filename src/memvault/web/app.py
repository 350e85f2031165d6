"""The web page's ASGI app: one module per page, a login in front, safe headers on every answer.

``memvault serve --http`` mounts it at ``/`` beside ``/mcp`` (``server/http.py`` checks Host and
Origin for both). In front of every page but the login and the static files sits
:class:`LoginGate`: without a valid session cookie (or the bearer token) a browser is sent to
``/login`` and a ``fetch`` gets 401. Every answer carries a Content-Security-Policy that allows
scripts and styles from this server only (no inline script: a memory that holds ``<script>``
is escaped by the templates, and would not run even if it were not).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from memvault.core.errors import (
    ConflictError,
    InvalidInputError,
    MemvaultError,
    NotFoundError,
    QuotaExceededError,
    StorageBusyError,
)
from memvault.service.vault import Vault
from memvault.web import graph, login, memories, notes, operations, search, sessions
from memvault.web.auth import SESSION_COOKIE, SessionAuth
from memvault.web.context import STATIC, PageContext, templates, wants_json

PAGES = (login, search, memories, notes, graph, operations, sessions)
PUBLIC_PATHS = ("/login",)  # what a browser may load before it logs in: these exactly,
PUBLIC_PREFIXES = ("/static/",)  # and what lies under these
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def build_pages(
    vault: Vault | None,
    auth: SessionAuth,
    *,
    ready: threading.Event | None = None,
    before_adding: Callable[[], None] | None = None,
) -> ASGIApp:
    """The pages of ``vault``; with ``vault`` None, of the request's tenant (a hosted server:
    ``auth`` a :class:`~memvault.web.tenant_auth.TenantAuth`, the tenant gate sets the vault).
    ``before_adding`` runs before each write that adds data (a hosted tenant's quotas)."""
    context = PageContext(vault, auth, templates(), ready, before_adding)
    routes: list[BaseRoute] = [Mount("/static", app=StaticFiles(directory=STATIC), name="static")]
    for page in PAGES:
        routes.extend(page.routes(context))

    async def refused(request: Request, exc: Exception) -> Response:
        status, message = _status(exc)
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=status)
        return context.render(
            request, "error.html", status_code=status, message=message, status=status
        )

    app = Starlette(
        routes=routes, exception_handlers={HTTPException: refused, MemvaultError: refused}
    )
    return _Headers(LoginGate(app, auth))


class LoginGate:
    """Lets a request through with a valid session cookie or bearer token; else a browser is
    redirected to the login (303) and a ``fetch`` gets 401. With ``--no-auth`` a browser
    without a session gets one here."""

    def __init__(self, app: ASGIApp, auth: SessionAuth) -> None:
        self._app = app
        self._auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # no page has one: none gets past without a login
            await send({"type": "websocket.close", "code": 1008})
            return
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            await self._app(scope, receive, send)
            return
        request = Request(scope)
        if self._auth.bearer_matches(request.headers.get("authorization")):
            scope["memvault.bearer"] = True
            await self._app(scope, receive, send)
            return
        if self._auth.session_valid(request.cookies.get(SESSION_COOKIE)):
            await self._app(scope, receive, send)
            return
        session = self._auth.session_without_login()
        if session is not None:
            scope["memvault.session"] = session
            secure = scope.get("scheme") == "https"
            await self._app(scope, receive, _with_cookie(send, session, secure=secure))
            return
        if wants_json(request):
            response: Response = JSONResponse(
                {"error": "not logged in: log in at /login or send the bearer token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="memvault"'},
            )
        else:
            response = RedirectResponse(_login_url(request), status_code=303)
        await response(scope, receive, send)


def _login_url(request: Request) -> str:
    """The login, with the page to come back to: a page only (after a form's POST the browser
    would GET a write's URL, and get 405), so a write sends the browser to the login alone."""
    if request.method not in ("GET", "HEAD"):
        return "/login"
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target)}"


def _with_cookie(send: Send, session: str, *, secure: bool) -> Send:
    text = f"{SESSION_COOKIE}={session}; HttpOnly; Path=/; SameSite=strict"
    cookie = (text + "; Secure" if secure else text).encode()

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
        await send(message)

    return sending


class _Headers:
    """The security headers, ``Cache-Control: no-store`` on pages (memories stay out of the
    browser's cache: after a logout the back button shows nothing), and ``Server-Timing:
    app;dur=MS`` (the time until the answer's first byte, which ``make bench`` reads as the
    page's server time)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        cached = str(scope.get("path", "")).startswith(PUBLIC_PREFIXES)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                spent = f"app;dur={(time.perf_counter() - started) * 1000:.2f}".encode()
                headers = [*message.get("headers", []), *SECURITY_HEADERS]
                if not cached and not any(name == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = [*headers, (b"server-timing", spent)]
            await send(message)

        await self._app(scope, receive, sending)


def _status(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail)
    message = " ".join(str(exc).split())
    codes: list[tuple[type[Any], int]] = [
        (NotFoundError, 404),
        (ConflictError, 409),
        (InvalidInputError, 400),
        (StorageBusyError, 503),  # the database is locked past the wait: try again
        (QuotaExceededError, 403),  # a hosted tenant at its quota: reads and deletes still work
    ]
    for kind, status in codes:
        if isinstance(exc, kind):
            return status, message
    return 500, message
