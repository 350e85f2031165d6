"""``/login`` and ``/logout``: the bearer token (or a one-time code from ``memvault ui``, or on a
hosted server a tenant's token) in, a session cookie out."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from memvault.web.auth import LOGIN_COOKIE, SESSION_COOKIE, same_text
from memvault.web.context import PageContext, form_text, is_https, session_cookie


def routes(context: PageContext) -> list[BaseRoute]:
    def login_form(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        code = request.query_params.get("code")
        if code is not None and request.method == "GET":  # a HEAD (a link preview) keeps it
            session = context.auth.login_with_code(code)
            if session is None:
                return _form(context, request, target, "that login link was used or has expired")
            return _logged_in(context, request, target, session)
        if not context.auth.needs_login or context.session_of(request) is not None:
            return RedirectResponse(target, status_code=303)  # nothing to log in to
        return _form(context, request, target, None)

    async def log_in(request: Request) -> Response:
        # Before any login: a few small fields, not the megabytes a form may hold elsewhere.
        form = await request.form(max_fields=16, max_part_size=4096)
        pre = request.cookies.get(LOGIN_COOKIE)
        given = form.get(LOGIN_COOKIE)
        if not pre or not isinstance(given, str) or not same_text(given, pre):
            raise HTTPException(403, "the login form's CSRF token is missing or wrong: reload")
        return _check_token(context, request, form)

    async def log_out(request: Request) -> Response:
        form = await request.form()
        context.require_csrf(request, form)
        context.auth.revoke(request.cookies.get(SESSION_COOKIE))  # a copy of it is dead too
        response = RedirectResponse("/login" if context.auth.needs_login else "/", 303)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
        return response

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", log_in, methods=["POST"]),
        Route("/logout", log_out, methods=["POST"]),
    ]


def safe_next(target: str | None) -> str:
    """Where to go after the login: a path on this server only. ``//evil`` is another host, and
    browsers drop tabs and newlines (``/\\t/evil``) and read ``\\`` as ``/``."""
    if not target or any(ord(c) < 0x21 or c == "\\" for c in target):
        return "/"
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return "/"
    return target


def _check_token(context: PageContext, request: Request, form: FormData) -> Response:
    target = safe_next(form_text(form, "next"))
    session = context.auth.login(form_text(form, "token") or "")
    if session is None:
        return _form(context, request, target, "that token is not this server's", status=401)
    return _logged_in(context, request, target, session)


def _logged_in(context: PageContext, request: Request, target: str, session: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    session_cookie(response, session, request)
    response.delete_cookie(LOGIN_COOKIE, path="/login", httponly=True, samesite="strict")
    return response


def _form(
    context: PageContext, request: Request, target: str, error: str | None, status: int = 200
) -> Response:
    pre = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = context.render(
        request,
        "login.html",
        status_code=status,
        title="Log in · memvault",
        next=target,
        error=error,
        login_field=LOGIN_COOKIE,
        login_token=pre,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        pre,
        max_age=3600,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=is_https(request),
    )
    return response
