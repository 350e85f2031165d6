"""A real ``memvault serve --http`` with its web page, and Debian's chromium driven by playwright.

The server is a separate process on a free loopback port, with the vault's own embedder
(tests/conftest.py sets ``MEMVAULT_EMBEDDER=hash`` for every test, and ``init`` keeps it: pass
``embedder="bundled"`` to the CLI calls for the real model, as the jobs page's tests do); the
browser is Debian's ``/usr/bin/chromium`` (``make test`` installs it), headless. Every browser
test writes a screenshot of the page it checked under its temp folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2

from tests.server.mcp_helpers import free_port, wait_until_up

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "web-test-token-5d1c-8e2a"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]*)">')


def memvault(home: Path, *args: str, embedder: str | None = None) -> str:
    """Run the real CLI on ``home``; its stdout."""
    env = {**os.environ, "MEMVAULT_BACKGROUND": "0"}
    env.pop("MEMVAULT_TOKEN", None)
    if embedder is not None:
        env["MEMVAULT_EMBEDDER"] = embedder
    done = subprocess.run(
        [sys.executable, "-m", "memvault.cli.app", "--home", str(home), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextmanager
def web_server(
    home: Path | None, *args: str, token: str | None = TOKEN, embedder: str | None = None
) -> Iterator[str]:
    """``memvault serve --http`` on ``home``; yields its base URL. ``embedder`` None: the
    vault's own (the bundled model by default). ``home`` None with ``--tenants DIR`` in
    ``args`` and no ``token``: a hosted server (each tenant logs in with its own token)."""
    port = free_port()
    env = {**os.environ}
    env.pop("MEMVAULT_TOKEN", None)
    env.pop("MEMVAULT_EMBEDDER", None)
    if token is not None:
        env["MEMVAULT_TOKEN"] = token
    if embedder is not None:
        env["MEMVAULT_EMBEDDER"] = embedder
    command = [sys.executable, "-m", "memvault.cli.app"]
    command += [] if home is None else ["--home", str(home)]
    command.append("serve")
    proc = subprocess.Popen(
        [*command, "--http", f"127.0.0.1:{port}", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base, 60)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


def logged_in_client(base: str, token: str = TOKEN) -> tuple[httpx2.Client, str]:
    """An HTTP client logged in through the login form as a browser is; with its CSRF token."""
    client = httpx2.Client(base_url=base, timeout=30, headers={"Origin": base})
    form = client.get("/login")
    pre = re.search(r'name="memvault_login" value="([^"]+)"', form.text)
    assert pre is not None, form.text
    done = client.post("/login", data={"memvault_login": pre.group(1), "token": token})
    assert done.status_code == 303, done.text
    page = client.get("/")
    match = CSRF_META.search(page.text)
    assert match is not None and match.group(1), page.text
    return client, match.group(1)


def log_in(page: Any, base: str, token: str = TOKEN) -> None:
    """Log a playwright page in through the login form."""
    page.goto(f"{base}/")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
