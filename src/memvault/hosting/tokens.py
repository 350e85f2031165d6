"""Tenant tokens: random, shown once, stored only as a keyed hash.

A token is 32 random bytes (``mvt_`` and 43 URL-safe characters). The registry keeps
HMAC-SHA256 of it under the server's key (``DIR/.tenants.key``, 0600), not the token: a copy of
``tenants.json`` lets no one in. A keyed hash rather than argon2 or scrypt because the token is
checked on every request and has 256 bits of entropy: a slow hash protects guessable passwords,
and a token cannot be guessed; the key keeps an offline search of a leaked registry from even
starting. A lookup is by the hash (a dict), so no comparison leaks how much of a token matched.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

TOKEN_PREFIX = "mvt_"
KEY_FILE = ".tenants.key"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def load_key(root: Path) -> bytes:
    """The server's token key, made on first use (0600, written once, never rotated: rotating
    it would void every tenant's token at once)."""
    path = root / KEY_FILE
    try:
        return bytes.fromhex(path.read_text("ascii").strip())
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(path.read_text("ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key.hex() + "\n")
        file.flush()
        os.fsync(file.fileno())
    return key
