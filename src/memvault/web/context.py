"""What every page module gets: the vault, the templates, the login, and the rules of a write.

Pages are rendered on the server (Jinja2, autoescaped: text from memories and notes is always
escaped). Reads are plain functions, which Starlette runs in its thread pool (the vault is
synchronous and safe across threads). Writes go through :meth:`PageContext.action`, which reads
the form (or the JSON object of ``window.memvault.postJson``), refuses it without the session's
CSRF token (403), and only then calls the page's function in the thread pool.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from memvault.hosting.current import NoTenantError, current_vault
from memvault.service.vault import Vault
from memvault.web.auth import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, SESSION_SECONDS, SessionAuth

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PAGE_SIZE = 20

# The sections of the page, in the order of the navigation bar: (path, label).
SECTIONS = (
    ("/", "Search"),
    ("/memories", "Memories"),
    ("/notes", "Notes"),
    ("/graph", "Graph"),
    ("/operations", "Operations"),
    ("/sessions", "Sessions"),
)

Action = Callable[[Request, FormData], Response]
Endpoint = Callable[[Request], Awaitable[Response]]


def templates() -> Jinja2Templates:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["query"] = _query
    return Jinja2Templates(env=environment)


@dataclass(frozen=True, slots=True)
class PageContext:
    # The vault of a server of one vault; None on a hosted server, where each request's vault
    # is its tenant's (set by ``server/tenants.py`` from the session, read in :attr:`vault`).
    opened: Vault | None
    auth: SessionAuth
    pages: Jinja2Templates
    # Set once ``memvault serve``'s first folder sync is done: a page must see it, as a tool does.
    ready: threading.Event | None = None
    # Run before a write that adds data (``action(..., adds=True)``): a hosted tenant's quotas.
    before_adding: Callable[[], None] | None = None

    @property
    def vault(self) -> Vault:
        if self.ready is not None:
            self.ready.wait()
        return current_vault() if self.opened is None else self.opened

    def has_folder(self) -> bool:
        """Whether the request's vault has a Markdown folder; False on a hosted server's page
        without a tenant (the login, an error before it)."""
        try:
            vault = current_vault() if self.opened is None else self.opened
        except NoTenantError:
            return False
        return vault.folder is not None

    def render(
        self, request: Request, template: str, status_code: int = 200, **values: Any
    ) -> Response:
        session = self.session_of(request)
        values.setdefault("title", "memvault")
        return self.pages.TemplateResponse(
            request,
            template,
            {
                "csrf": self.auth.csrf_for(session) if session else "",
                "csrf_field": CSRF_FIELD,
                "sections": SECTIONS,
                "section": _section(request.url.path),
                "logged_in": self.auth.needs_login and bool(session),
                "has_folder": self.has_folder(),
                **values,
            },
            status_code=status_code,
        )

    def session_of(self, request: Request) -> str | None:
        """The request's valid session: the one the gate just made (``--no-auth``), else the
        cookie when it is good (a stale one on the login page is no session)."""
        made = request.scope.get("memvault.session")
        if isinstance(made, str):
            return made
        cookie = request.cookies.get(SESSION_COOKIE)
        return cookie if self.auth.session_valid(cookie) else None

    def action(self, function: Action, *, adds: bool = False) -> Endpoint:
        """An endpoint for a write: the form is read, its CSRF token checked, then
        ``function(request, form)`` runs in the thread pool. A ``fetch`` that asks for JSON
        gets the 303's target as ``{"location": …}`` (a fetch would follow the redirect to an
        HTML page), so one function serves the form and ``postJson``. A write that ``adds``
        data is checked by ``before_adding`` first (forget, validate and the like never are:
        deleting is how a tenant at its quota gets back under)."""

        async def endpoint(request: Request) -> Response:
            form = await fields(request)
            self.require_csrf(request, form)
            if adds and self.before_adding is not None:
                await run_in_threadpool(self.before_adding)
            response = await run_in_threadpool(function, request, form)
            if response.status_code == 303 and wants_json(request):
                return JSONResponse({"location": response.headers["location"]})
            return response

        return endpoint

    def require_csrf(self, request: Request, form: Mapping[str, Any] | None = None) -> None:
        """403 unless the request carries its session's CSRF token (form field or header);
        a request that came with the bearer token has no ambient credential to abuse."""
        if request.scope.get("memvault.bearer"):
            return
        given = request.headers.get(CSRF_HEADER)
        if given is None and form is not None:
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
        # The session the gate let in: with --no-auth a stale or logged-out cookie gets a new
        # session there, and its old token must not write with it.
        if not self.auth.csrf_valid(self.session_of(request), given):
            raise HTTPException(403, "the form's CSRF token is missing or wrong: reload the page")


async def fields(request: Request) -> FormData:
    """A write's fields: the form, or a JSON object's members as form fields (a list is a field
    given several times), so ``window.memvault.postJson(url, {…})`` reaches the same code."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return await request.form()
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise HTTPException(400, "the request's JSON body does not parse") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the request's JSON body must be an object of fields")
    items: list[tuple[str, str | UploadFile]] = []
    for name, value in body.items():
        for one in value if isinstance(value, list) else [value]:
            if isinstance(one, bool) or not isinstance(one, str | int | float):
                raise HTTPException(400, f"the JSON field {name!r} must be text or a number")
            items.append((name, str(one)))
    return FormData(items)


def redirect(path: str, **query: Any) -> RedirectResponse:
    """303 after a write: the browser GETs the result (a reload does not post again)."""
    return RedirectResponse(path + _query(query), status_code=303)


def session_cookie(response: Response, session: str, request: Request) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def is_https(request: Request) -> bool:
    """Whether the browser talks https: to this server, or to a proxy on this machine in front
    (uvicorn takes ``X-Forwarded-Proto`` from 127.0.0.1); cookies are then ``Secure``."""
    return request.url.scheme == "https"


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def form_text(form: FormData, name: str) -> str | None:
    """A form field as text; an empty field is None (not given)."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    return value if value.strip() else None


def _query(values: Mapping[str, Any]) -> str:
    """``?a=1&b=2`` of the values that are set (empty string when none are)."""
    kept = {k: v for k, v in values.items() if v not in (None, "", False)}
    return "?" + urlencode(kept, doseq=True) if kept else ""


def _section(path: str) -> str:
    for prefix, _label in reversed(SECTIONS):
        if prefix != "/" and path.startswith(prefix):
            return prefix
    return "/"
