"""Logging in to the web page in a real browser, and what the login refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2

from tests.web.browser import TOKEN, log_in, memvault, web_server


def test_a_browser_logs_in_with_the_token_and_out_again(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    with web_server(home, embedder="hash") as base:
        page.goto(f"{base}/memories")
        assert page.url.startswith(f"{base}/login")  # no cookie: sent to the login
        page.get_by_label("Token").fill("not-the-token-at-all")
        page.get_by_role("button", name="Log in").click()
        assert page.get_by_role("alert").inner_text() == "that token is not this server's"
        page.get_by_label("Token").fill(TOKEN)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/memories")  # back where it was going
        cookie = next(c for c in page.context.cookies() if c["name"] == "memvault_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        page.screenshot(path=tmp_path / "after-login.png", full_page=True)
        page.get_by_role("button", name="Log out").click()
        page.goto(f"{base}/memories")
        assert page.url.startswith(f"{base}/login")


def test_a_one_time_login_link_works_once(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    with web_server(home, embedder="hash") as base:
        assert httpx2.get(f"{base}/login?code=made-up").status_code == 200  # the form, no session
        page.goto(f"{base}/login?code=made-up")
        assert "used or has expired" in page.get_by_role("alert").inner_text()
        log_in(page, base)
