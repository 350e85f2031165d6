"""What the web page refuses, checked against a real ``memvault serve --http`` process: the
login, the session cookie, CSRF on every write, Host and Origin, note paths out of the vault,
HTML in a memory (in a real browser), the one-time link of ``memvault ui``, the headers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.routing import BaseRoute, Mount, Route

import memvault as memvault_api
from memvault.web import WebAuth, build_pages
from tests.web.browser import TOKEN, log_in, logged_in_client, memvault, web_server

XSS = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
NOTE = "ideas/plan.md"
PROXY_HOST = "mem.example"  # the public name of the https proxy in front of the module's server
NOTE_TEXT = "# Plan\n\nShip the web page.\n"
HOSTILE = {
    "content": "HACKED",
    "body": "HACKED\n",
    "confirm": "yes",
    "verdict": "contradicted",
    "note": "HACKED",
    "path": "hacked",
    "base_hash": "0" * 64,
    "importance": "0.01",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    """One server for the HTTP tests: its home, base URL and a memory's id."""
    home = tmp_path_factory.mktemp("security") / "home"
    memvault(home, "init", embedder="hash")
    done = memvault(home, "remember", "deploy with blue-green", "--json", embedder="hash")
    memory_id: str = json.loads(done)["id"]
    note = home / "vault" / NOTE
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(NOTE_TEXT, "utf-8")
    proxied = ("--allow-host", PROXY_HOST, "--allow-origin", f"https://{PROXY_HOST}")
    with web_server(home, *proxied, embedder="hash") as base:
        yield home, base, memory_id


def post_routes(tmp_path: Path) -> list[str]:
    """Every POST path of the page app, as built in this process (``{…}`` left in)."""
    with memvault_api.open(tmp_path / "routes-home", embedder="hash", background=False) as vault:
        app: Any = build_pages(vault, WebAuth(TOKEN))
        while not hasattr(app, "routes"):  # the header and login wrappers around Starlette
            app = app._app
        return sorted(set(_posts(app.routes, "")))


def _posts(routes: list[BaseRoute], prefix: str) -> Iterator[str]:
    for route in routes:
        if isinstance(route, Mount):
            yield from _posts(list(route.routes), prefix + route.path)
        elif isinstance(route, Route) and route.methods and "POST" in route.methods:
            yield prefix + route.path


def state_of(home: Path, memory_id: str) -> tuple[bytes, dict[str, Any], list[str]]:
    """The memory's file, its fields (access counts left out: a read counts) and the notes."""
    path = home / "vault" / "memories" / "default" / f"{memory_id}.md"
    fields = json.loads(memvault(home, "get", memory_id, "--json", embedder="hash"))
    kept = {k: v for k, v in fields.items() if "access" not in k}
    notes = sorted(str(p.relative_to(home / "vault")) for p in (home / "vault").rglob("*.md"))
    return path.read_bytes(), kept, [n for n in notes if not n.startswith("memories/")]


def test_without_a_session_a_page_redirects_and_a_fetch_gets_401(
    served: tuple[Path, str, str],
) -> None:
    _home, base, memory_id = served
    page = httpx2.get(f"{base}/memories", params={"kind": "fact"})
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/memories%3Fkind%3Dfact"
    assert httpx2.get(f"{base}/memories/{memory_id}").status_code == 303
    assert httpx2.head(f"{base}/").status_code == 303  # HEAD is no way around it
    fetched = httpx2.get(f"{base}/memories", headers={"Accept": "application/json"})
    assert fetched.status_code == 401 and "error" in fetched.json()
    for api in ("/api/jobs", "/api/graph?id=x"):
        answer = httpx2.get(f"{base}{api}", headers={"Accept": "text/html"})
        assert answer.status_code == 401 and "not logged in" in answer.json()["error"]
    assert httpx2.get(f"{base}/login").status_code == 200
    assert httpx2.get(f"{base}/loginx").status_code == 303  # public is /login exactly
    # A form posted without a session: to the login, not back to the write's URL afterwards.
    posted = httpx2.post(
        f"{base}/memories/{memory_id}/edit", data={"content": "x"}, headers={"Origin": base}
    )
    assert posted.status_code == 303 and posted.headers["location"] == "/login"


def test_a_wrong_token_gets_401_and_no_session(served: tuple[Path, str, str]) -> None:
    _home, base, _memory_id = served
    client = httpx2.Client(base_url=base, headers={"Origin": base})
    form = client.get("/login")
    pre = re.search(r'name="memvault_login" value="([^"]+)"', form.text)
    assert pre is not None
    wrong = client.post("/login", data={"memvault_login": pre.group(1), "token": "x" * 24})
    assert wrong.status_code == 401 and "token is not this server" in wrong.text
    assert "memvault_session" not in wrong.headers.get("set-cookie", "")
    assert client.get("/").status_code == 303
    forged = httpx2.post(f"{base}/login", data={"memvault_login": "guess", "token": TOKEN})
    assert forged.status_code == 403  # the login form's own CSRF token (double submit)
    assert "memvault_session" not in forged.headers.get("set-cookie", "")


def test_the_session_cookie_is_strict_and_cannot_be_tampered_with(
    served: tuple[Path, str, str],
) -> None:
    _home, base, _memory_id = served
    client = httpx2.Client(base_url=base, headers={"Origin": base})
    pre = re.search(r'name="memvault_login" value="([^"]+)"', client.get("/login").text)
    assert pre is not None
    done = client.post("/login", data={"memvault_login": pre.group(1), "token": TOKEN})
    assert done.status_code == 303
    set_cookie = next(v for v in done.headers.get_list("set-cookie") if "memvault_session=" in v)
    attributes = {part.strip().lower() for part in set_cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    good = client.cookies["memvault_session"]
    assert client.get("/").status_code == 200
    issued, nonce, signature = good.split(".")
    tampered = (
        f"{issued}.{nonce}.{signature[:-1]}{'0' if signature[-1] != '0' else '1'}",
        f"{int(issued) + 1}.{nonce}.{signature}",
        f"{issued}.{nonce}.{WebAuth('another-token-entirely')._sign('session', issued)}",
        "garbage",
    )
    for cookie in tampered:
        answer = httpx2.get(f"{base}/", cookies={"memvault_session": cookie})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        login = httpx2.get(f"{base}/login", cookies={"memvault_session": cookie})
        assert "Log out" not in login.text  # a bad cookie is no session, not even in the bar


def test_after_the_login_next_stays_on_this_server(served: tuple[Path, str, str]) -> None:
    _home, base, _memory_id = served
    for target, expected in (
        ("/memories?kind=fact", "/memories?kind=fact"),
        ("//evil.example/x", "/"),
        ("/\t/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
    ):
        client = httpx2.Client(base_url=base, headers={"Origin": base})
        pre = re.search(r'name="memvault_login" value="([^"]+)"', client.get("/login").text)
        assert pre is not None
        fields = {"memvault_login": pre.group(1), "token": TOKEN, "next": target}
        done = client.post("/login", data=fields)
        assert done.status_code == 303 and done.headers["location"] == expected, target


def test_logging_out_kills_every_copy_of_the_cookie(served: tuple[Path, str, str]) -> None:
    _home, base, _memory_id = served
    client, csrf = logged_in_client(base)
    copied = client.cookies["memvault_session"]
    assert httpx2.get(f"{base}/", cookies={"memvault_session": copied}).status_code == 200
    again = client.get("/login", params={"next": "/memories"})
    assert again.status_code == 303 and again.headers["location"] == "/memories"
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    stolen = httpx2.get(f"{base}/", cookies={"memvault_session": copied})
    assert stolen.status_code == 303 and stolen.headers["location"].startswith("/login")


def test_every_post_route_needs_the_csrf_token(
    served: tuple[Path, str, str], tmp_path: Path
) -> None:
    home, base, memory_id = served
    routes = post_routes(tmp_path)
    assert {"/logout", "/memories/{memory_id}/edit", "/notes/edit"} <= set(routes), routes
    client, csrf = logged_in_client(base)
    other, other_csrf = logged_in_client(base)  # a good token, of another session
    before = state_of(home, memory_id)
    for route in routes:
        path = re.sub(r"\{[^}]+\}", memory_id, route)
        for fields, headers in (
            (HOSTILE, {}),
            ({**HOSTILE, "csrf": "0" * 64}, {}),
            ({**HOSTILE, "csrf": csrf[:-1]}, {}),
            ({**HOSTILE, "csrf": other_csrf}, {}),
            (HOSTILE, {"X-CSRF-Token": other_csrf}),
        ):
            answer = client.post(path, params={"path": NOTE}, data=fields, headers=headers)
            assert answer.status_code == 403, (route, fields.get("csrf"), answer.text)
            assert "CSRF" in answer.text
    assert state_of(home, memory_id) == before
    assert client.get("/").status_code == 200  # the refused /logout logged nobody out
    assert other.get("/").status_code == 200


def test_a_foreign_origin_and_a_wrong_host_are_refused(served: tuple[Path, str, str]) -> None:
    home, base, memory_id = served
    client, csrf = logged_in_client(base)
    before = state_of(home, memory_id)
    evil = {"Origin": "http://evil.example"}
    assert client.get("/", headers=evil).status_code == 403
    assert client.get("/", headers={"Origin": "null"}).status_code == 403
    post = client.post(
        f"/memories/{memory_id}/edit", data={"content": "HACKED", "csrf": csrf}, headers=evil
    )
    assert post.status_code == 403
    port = base.rsplit(":", 1)[1]
    for host in (f"evil.example:{port}", "127.0.0.1:1", "evil.example"):
        assert client.get("/", headers={"Host": host}).status_code == 421, host
    assert state_of(home, memory_id) == before
    assert client.get("/").status_code == 200


def test_note_paths_out_of_the_vault_are_400(served: tuple[Path, str, str]) -> None:
    _home, base, _memory_id = served
    client, _csrf = logged_in_client(base)
    for url in ("/notes/view?path=../x", "/notes/edit?path=../../etc/passwd"):
        answer = client.get(url)
        assert answer.status_code == 400, (url, answer.text)
        lines = re.findall(r'role="alert">([^<]*)</p>', answer.text)
        assert len(lines) == 1 and lines[0].strip() and "\n" not in lines[0].strip(), lines
        assert "root:" not in answer.text and "Traceback" not in answer.text
    assert client.get(f"/notes/view?path={NOTE}").status_code == 200


def test_security_headers_on_every_kind_of_answer(served: tuple[Path, str, str]) -> None:
    _home, base, memory_id = served
    client, _csrf = logged_in_client(base)
    for answer in (
        client.get("/"),
        client.get(f"/memories/{memory_id}"),
        client.get("/memories/no-such-memory"),
        httpx2.get(f"{base}/login"),
    ):
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"  # memories stay out of the cache
    assert client.get("/memories/no-such-memory").status_code == 404
    assert client.get("/static/style.css").headers.get("cache-control") != "no-store"


def test_html_in_a_memory_is_shown_as_text_in_a_browser(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    done = memvault(home, "remember", f"pwned {XSS}", "--json", embedder="hash")
    memory_id = json.loads(done)["id"]
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with web_server(home, embedder="hash") as base:
        log_in(page, base)
        for name, url in (("search", "/?q=pwned"), ("memory", f"/memories/{memory_id}")):
            page.goto(f"{base}{url}")
            page.wait_for_load_state("load")
            page.screenshot(path=tmp_path / f"xss-{name}.png", full_page=True)
            assert page.evaluate("typeof window.pwned") == "undefined", url
            assert page.locator("main script").count() == 0
            assert page.locator("main img[src=x]").count() == 0
            assert XSS in page.locator("main").inner_text(), url
    assert dialogs == []


def test_memvault_ui_logs_in_once_with_its_link(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    env = {**os.environ, "MEMVAULT_EMBEDDER": "hash"}
    env.pop("MEMVAULT_TOKEN", None)
    command = [sys.executable, "-m", "memvault.cli.app", "--home", str(home), "ui"]
    proc = subprocess.Popen(
        [*command, "--no-open", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        said, link = _read_link(proc)
        base = link.split("/login", 1)[0]
        # Nothing printed is the token: no word of it gets through as the bearer.
        for word in set(re.findall(r"[A-Za-z0-9_\-]{16,}", said)):
            bearer = httpx2.get(f"{base}/", headers={"Authorization": f"Bearer {word}"})
            assert bearer.status_code == 303, word
        assert httpx2.head(link).status_code == 200  # a link preview does not use it up
        page.goto(link)
        page.wait_for_url(f"{base}/")
        assert page.get_by_role("button", name="Log out").count() == 1
        page.screenshot(path=tmp_path / "ui-logged-in.png", full_page=True)
        page.context.clear_cookies()
        page.goto(link)
        assert "used or has expired" in page.get_by_role("alert").inner_text()
        page.goto(f"{base}/memories")
        assert page.url.startswith(f"{base}/login")
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=15)
    assert "Bearer" not in out + err


def test_memvault_ui_takes_memvault_token_for_a_login_after_the_link(tmp_path: Path) -> None:
    """With $MEMVAULT_TOKEN set, `memvault ui` serves with it: once the one-time link is used
    (or has expired), a browser still logs in with the token; nothing prints it."""
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    env = {**os.environ, "MEMVAULT_EMBEDDER": "hash", "MEMVAULT_TOKEN": TOKEN}
    command = [sys.executable, "-m", "memvault.cli.app", "--home", str(home), "ui"]
    proc = subprocess.Popen(
        [*command, "--no-open", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _said, link = _read_link(proc)
        base = link.split("/login", 1)[0]
        client, csrf = logged_in_client(base)
        assert csrf and client.get("/memories").status_code == 200
        wrong = httpx2.get(f"{base}/", headers={"Authorization": "Bearer not-the-token-at-all"})
        assert wrong.status_code == 303
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=15)
    assert TOKEN not in out + err


def _read_link(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """stderr up to the one-time login link: all it said, and the link."""
    assert proc.stderr is not None
    said = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        said += line
        found = re.search(r"one-time login link: (http://\S+?)\)?$", line.strip())
        if found:
            return said, found.group(1)
    raise AssertionError(f"no login link in: {said}")


def test_no_auth_gives_a_session_but_writes_still_need_its_csrf(tmp_path: Path) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    done = memvault(home, "remember", "deploy with blue-green", "--json", embedder="hash")
    memory_id = json.loads(done)["id"]
    before = state_of(home, memory_id)
    with web_server(home, "--no-auth", token=None, embedder="hash") as base:
        client = httpx2.Client(base_url=base, headers={"Origin": base})
        first = client.get("/")
        assert first.status_code == 200  # no login on a loopback --no-auth server
        attributes = {p.strip().lower() for p in first.headers["set-cookie"].split(";")}
        assert {"httponly", "samesite=strict", "path=/"} <= attributes
        edit = f"/memories/{memory_id}/edit"
        refused = client.post(edit, data={"content": "HACKED", "csrf": "0" * 64})
        assert refused.status_code == 403
        stale = httpx2.get(f"{base}/", cookies={"memvault_session": "stale.cookie.x"})
        csrf = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', stale.text)
        fresh = stale.cookies.get("memvault_session")
        assert csrf is not None and fresh is not None  # the form's token is the new session's
        answer = httpx2.post(
            f"{base}/logout",
            data={"csrf": csrf.group(1)},
            cookies={"memvault_session": fresh},
            headers={"Origin": base},
        )
        assert answer.status_code == 303
        # Logged out: the old cookie gets a new session at the gate, and its token writes nothing.
        old = httpx2.post(
            f"{base}{edit}",
            data={"content": "HACKED", "csrf": csrf.group(1)},
            cookies={"memvault_session": fresh},
            headers={"Origin": base},
        )
        assert old.status_code == 403 and "CSRF" in old.text
    assert state_of(home, memory_id) == before


def test_odd_characters_in_a_token_are_refused_not_a_crash(
    served: tuple[Path, str, str],
) -> None:
    """A header is read as latin-1 and a form field as UTF-8: a non-ASCII token is compared,
    and refused, like any wrong one (``compare_digest`` raises on non-ASCII text)."""
    home, base, memory_id = served
    client, csrf = logged_in_client(base)
    before = state_of(home, memory_id)
    edit = f"/memories/{memory_id}/edit"
    odd = "é" + csrf[1:]
    header = client.post(edit, data={"content": "HACKED"}, headers={"X-CSRF-Token": odd.encode()})
    assert header.status_code == 403 and "CSRF" in header.text
    field = client.post(edit, data={"content": "HACKED", "csrf": odd})
    assert field.status_code == 403 and "CSRF" in field.text
    good = client.cookies["memvault_session"]
    for cookie in (f"{good[:-1]}é", "1.é.é"):
        page = httpx2.get(f"{base}/", headers={"Cookie": f"memvault_session={cookie}".encode()})
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
    bearer = {"Authorization": f"Bearer é{TOKEN}".encode()}
    assert httpx2.get(f"{base}/", headers=bearer).status_code == 303
    assert httpx2.post(f"{base}/mcp", json={}, headers=bearer).status_code == 401
    stranger = httpx2.Client(base_url=base, headers={"Origin": base})
    stranger.get("/login")  # the pre-login cookie
    login = stranger.post("/login", data={"memvault_login": "é", "token": TOKEN})
    assert login.status_code == 403 and "memvault_session" not in login.headers.get(
        "set-cookie", ""
    )
    assert state_of(home, memory_id) == before


def test_behind_an_https_proxy_the_cookies_are_secure(served: tuple[Path, str, str]) -> None:
    """docs/web.md's proxy: memvault on 127.0.0.1, the proxy sends the public Host and
    ``X-Forwarded-Proto: https``; the browser's Origin is the public https name."""
    _home, base, _memory_id = served
    proxy = {
        "Host": PROXY_HOST,
        "Origin": f"https://{PROXY_HOST}",
        "X-Forwarded-Proto": "https",
    }
    form = httpx2.get(f"{base}/login", headers=proxy)
    pre_cookie = _set_cookie(form, "memvault_login")
    assert "secure" in pre_cookie
    pre = re.search(r'name="memvault_login" value="([^"]+)"', form.text)
    assert pre is not None
    done = httpx2.post(
        f"{base}/login",
        data={"memvault_login": pre.group(1), "token": TOKEN},
        headers={**proxy, "Cookie": f"memvault_login={pre.group(1)}"},
    )
    assert done.status_code == 303, done.text
    session = _set_cookie(done, "memvault_session")
    assert {"secure", "httponly", "samesite=strict", "path=/"} <= session
    value = next(p for p in session if p.startswith("memvault_session="))
    page = httpx2.get(f"{base}/", headers={**proxy, "Cookie": value})
    assert page.status_code == 200  # the public name is allowed, and the session good
    plain, _csrf = logged_in_client(base)  # straight to the server over http: no Secure
    assert "secure" not in _set_cookie(plain.get("/login", params={"code": "x"}), "memvault_login")
    wrong = httpx2.get(f"{base}/", headers={**proxy, "Origin": f"http://{PROXY_HOST}"})
    assert wrong.status_code == 403  # the plain-http origin of that name is not allowed


def _set_cookie(answer: httpx2.Response, name: str) -> set[str]:
    """The attributes (lowercased) of the Set-Cookie for ``name``, with ``name=value`` as sent."""
    for header in answer.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            first, *rest = header.split(";")
            return {first.strip(), *(part.strip().lower() for part in rest)}
    raise AssertionError(f"no {name} cookie in {answer.headers.get_list('set-cookie')}")


def test_a_fetch_writes_as_json_with_the_csrf_header_only(tmp_path: Path, page: Any) -> None:
    """``window.memvault.postJson`` (static/app.js) reaches the same write as the form and gets
    JSON back; the same fetch without the ``X-CSRF-Token`` header is refused."""
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    done = memvault(home, "remember", "deploy with blue-green", "--json", embedder="hash")
    memory_id = json.loads(done)["id"]
    with web_server(home, embedder="hash") as base:
        log_in(page, base)
        page.goto(f"{base}/memories/{memory_id}")
        url = f"/memories/{memory_id}/validate"
        answer = page.evaluate(
            "url => window.memvault.postJson(url, {verdict: 'confirm', note: 'checked by fetch'})",
            url,
        )
        assert answer == {"location": f"/memories/{memory_id}?done=validated"}
        bare = page.evaluate(
            """url => fetch(url, {method: 'POST', body: JSON.stringify({verdict: 'refute'}),
                headers: {'Content-Type': 'application/json', Accept: 'application/json'}})
              .then(async r => ({status: r.status, body: await r.json()}))""",
            url,
        )
        assert bare["status"] == 403 and "CSRF" in bare["body"]["error"]
        broken = page.evaluate(
            "url => window.memvault.postJson(url, ['confirm']).catch(e => String(e))", url
        )
        assert broken.endswith(": 400")
        page.goto(f"{base}/memories/{memory_id}")
        page.screenshot(path=tmp_path / "validated-by-fetch.png", full_page=True)
        validations = page.locator("table.validations").inner_text()
        assert "checked by fetch" in validations and "refute" not in validations
