"""Who may see the pages: a login with the server's bearer token, kept as a signed cookie.

The cookie holds no secret: it is an issue time and a nonce, signed with a key derived from the
token, so a new token (a restart with another ``MEMVAULT_TOKEN``) logs every browser out, and
a stolen cookie is useless after ``SESSION_SECONDS``. It is HttpOnly (no script reads it) and
SameSite=Strict (no other site's page sends it). Every write also needs a CSRF token: the HMAC
of the session cookie, put in each form and in a ``<meta>`` for ``fetch``; a request without
it is refused (403) even with a good cookie. The login form itself is guarded the same way by a
short-lived pre-login cookie (double submit), so a foreign page cannot log a browser in.

``memvault ui`` opens the browser with a one-time code instead of the token: the code works
once, for ``CODE_SECONDS``, so a URL left in the history opens nothing.

:class:`SessionAuth` is what every login shares (signing, CSRF, logging out); :class:`WebAuth`
is the login of a server of one vault, :class:`memvault.web.tenant_auth.TenantAuth` that of a
hosted server, whose cookies also name the tenant.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from abc import ABC, abstractmethod

SESSION_COOKIE = "memvault_session"
LOGIN_COOKIE = "memvault_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 7 * 24 * 3600
CODE_SECONDS = 120


class SessionAuth(ABC):
    """Signed sessions and their CSRF tokens, under ``key``; what a login of the pages is.

    A subclass says which tokens log in (:meth:`login`, :meth:`bearer_matches`) and what a
    good cookie is (:meth:`session_valid`, with :meth:`_in_force` for its age and logout)."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._revoked: dict[str, float] = {}  # logged-out sessions, until they expire anyway
        self._lock = threading.Lock()

    @property
    def needs_login(self) -> bool:
        return True

    @abstractmethod
    def login(self, token: str) -> str | None:
        """A new session for a good token (from the login form); None for any other."""

    @abstractmethod
    def bearer_matches(self, header: str | None) -> bool:
        """An ``Authorization: Bearer …`` header with a good token (scripts and the benchmark)."""

    @abstractmethod
    def session_valid(self, cookie: str | None) -> bool:
        """Whether the cookie is a session of this server, signed, in force, not logged out."""

    def login_with_code(self, code: str) -> str | None:
        """A new session for a good one-time code; only ``memvault ui`` makes codes."""
        return None

    def session_without_login(self) -> str | None:
        """A session for a browser that has none, when this server needs no login."""
        return None

    def revoke(self, cookie: str | None) -> None:
        """Log a session out on the server too: a copy of the cookie (another browser, a
        proxy's log) is refused from now on, not only the browser's own, which it deletes.
        Kept in memory for a session's length, when it has expired anyway (a restart forgets
        them)."""
        if not self.session_valid(cookie):
            return
        assert cookie is not None
        now = time.time()
        with self._lock:
            self._revoked = {c: until for c, until in self._revoked.items() if until > now}
            self._revoked[cookie] = now + SESSION_SECONDS

    def csrf_for(self, session: str) -> str:
        return self._sign("csrf", session)

    def csrf_valid(self, session: str | None, given: str | None) -> bool:
        if not session or not given:
            return False
        return same_text(given, self.csrf_for(session))

    def _in_force(self, cookie: str, issued: str) -> bool:
        """Whether a signed cookie issued at ``issued`` (seconds, as text) is young enough and
        was not logged out."""
        if not issued.isdigit() or time.time() - int(issued) >= SESSION_SECONDS:
            return False
        with self._lock:
            return cookie not in self._revoked

    def _sign(self, purpose: str, value: str) -> str:
        message = f"{purpose}:{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


class WebAuth(SessionAuth):
    """Sessions, CSRF tokens and one-time codes for a server of one vault. ``token`` None:
    ``--no-auth`` (loopback only): every browser gets a session without a login, and writes
    still need the CSRF token of that session."""

    def __init__(self, token: str | None) -> None:
        material = token.encode() if token is not None else secrets.token_bytes(32)
        super().__init__(hmac.new(material, b"memvault web session v1", hashlib.sha256).digest())
        self._token = token
        self._codes: dict[str, float] = {}

    @property
    def needs_login(self) -> bool:
        return self._token is not None

    def token_matches(self, given: str) -> bool:
        if self._token is None:
            return True
        return same_text(given.strip(), self._token)

    def login(self, token: str) -> str | None:
        return self.new_session() if self.token_matches(token) else None

    def bearer_matches(self, header: str | None) -> bool:
        if self._token is None or header is None:
            return False
        return same_text(header, f"Bearer {self._token}")

    # --- sessions ---------------------------------------------------------------------------
    def new_session(self) -> str:
        value = f"{int(time.time())}.{secrets.token_urlsafe(12)}"
        return f"{value}.{self._sign('session', value)}"

    def session_valid(self, cookie: str | None) -> bool:
        if not cookie or cookie.count(".") != 2:
            return False
        value, _, signature = cookie.rpartition(".")
        if not same_text(signature, self._sign("session", value)):
            return False
        return self._in_force(cookie, value.split(".", 1)[0])

    def session_without_login(self) -> str | None:
        return None if self.needs_login else self.new_session()

    # --- one-time codes (memvault ui) ---------------------------------------------------------
    def one_time_code(self) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = time.monotonic() + CODE_SECONDS
        return code

    def use_code(self, code: str) -> bool:
        with self._lock:
            now = time.monotonic()
            self._codes = {c: until for c, until in self._codes.items() if until > now}
            return self._codes.pop(code, None) is not None

    def login_with_code(self, code: str) -> str | None:
        return self.new_session() if self.use_code(code) else None


def same_text(given: str, expected: str) -> bool:
    """Whether two texts are equal, in constant time. Compared as UTF-8 bytes: a header (read as
    latin-1), a cookie or a form field may hold any character, and ``compare_digest`` raises on
    a non-ASCII ``str`` (a 500 instead of a refusal)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
