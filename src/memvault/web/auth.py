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
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

SESSION_COOKIE = "memvault_session"
LOGIN_COOKIE = "memvault_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 7 * 24 * 3600
CODE_SECONDS = 120


class WebAuth:
    """Sessions, CSRF tokens and one-time codes for one server. ``token`` None: ``--no-auth``
    (loopback only): every browser gets a session without a login, and writes still need the
    CSRF token of that session."""

    def __init__(self, token: str | None) -> None:
        self._token = token
        material = token.encode() if token is not None else secrets.token_bytes(32)
        self._key = hmac.new(material, b"memvault web session v1", hashlib.sha256).digest()
        self._codes: dict[str, float] = {}
        self._revoked: dict[str, float] = {}  # logged-out sessions, until they expire anyway
        self._lock = threading.Lock()

    @property
    def needs_login(self) -> bool:
        return self._token is not None

    def token_matches(self, given: str) -> bool:
        if self._token is None:
            return True
        return same_text(given.strip(), self._token)

    def bearer_matches(self, header: str | None) -> bool:
        """An ``Authorization: Bearer …`` header with the token (scripts and the benchmark)."""
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
        issued = value.split(".", 1)[0]
        if not issued.isdigit() or time.time() - int(issued) >= SESSION_SECONDS:
            return False
        with self._lock:
            return cookie not in self._revoked

    def revoke(self, cookie: str | None) -> None:
        """Log a session out on the server too: a copy of the cookie (another browser, a
        proxy's log) is refused from now on, not only the browser's own, which it deletes.
        Kept in memory until the session would have expired (a restart forgets them)."""
        if not self.session_valid(cookie):
            return
        assert cookie is not None
        issued = int(cookie.split(".", 1)[0])
        now = time.time()
        with self._lock:
            self._revoked = {c: until for c, until in self._revoked.items() if until > now}
            self._revoked[cookie] = issued + SESSION_SECONDS

    def csrf_for(self, session: str) -> str:
        return self._sign("csrf", session)

    def csrf_valid(self, session: str | None, given: str | None) -> bool:
        if not session or not given:
            return False
        return same_text(given, self.csrf_for(session))

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

    def _sign(self, purpose: str, value: str) -> str:
        message = f"{purpose}:{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def same_text(given: str, expected: str) -> bool:
    """Whether two texts are equal, in constant time. Compared as UTF-8 bytes: a header (read as
    latin-1), a cookie or a form field may hold any character, and ``compare_digest`` raises on
    a non-ASCII ``str`` (a 500 instead of a refusal)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
