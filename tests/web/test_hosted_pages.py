"""The web page of a hosted server (``memvault serve --http … --tenants DIR``), against a real
server process with two tenants: each tenant's session sees its own vault on every page and
nothing of the other's; another tenant's ids and paths are refused; a session ends with the
token entry it was made from (revoked, rotated away after its grace, tenant removed); a cookie
naming another tenant is refused; and a real browser logs in with a tenant's token and finds
its memory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

import memvault as memvault_api
from memvault.hosting.registry import TenantRegistry
from tests.web.browser import CSRF_META, log_in, web_server

SESSION = "memvault_session"


@dataclass(frozen=True)
class Seeded:
    """One tenant and what its vault holds. ``word`` is searched for; ``mark`` is in every text
    of the tenant's and is never sent in a request, so finding it in an answer means the
    answer holds the tenant's data."""

    name: str
    token: str
    home: Path
    word: str
    mark: str
    memory_id: str
    other_id: str  # related to memory_id: the graph's edge
    note: str
    session_id: str

    @property
    def markers(self) -> tuple[str, ...]:
        """What of this tenant's must never be in another tenant's answer."""
        ids = (self.memory_id, self.other_id, self.session_id)
        return (self.mark, *ids, self.note, str(self.home))


@dataclass(frozen=True)
class Hosted:
    root: Path
    base: str
    alpha: Seeded
    beta: Seeded


def tenants(root: Path, *args: str) -> dict[str, Any]:
    """``memvault tenants … --tenants ROOT --json``; its answer."""
    env = {**os.environ}
    env.pop("MEMVAULT_TENANTS", None)
    command = [sys.executable, "-m", "memvault.cli.app", "tenants", *args]
    done = subprocess.run(
        [*command, "--tenants", str(root), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def seed(root: Path, name: str, word: str, mark: str) -> Seeded:
    """A tenant with a memory related to another, a note and a session with a message."""
    _tenant, token = TenantRegistry(root, create=True).add(name)
    home = root / name
    note = f"plans/{name}-plan.md"
    with memvault_api.open(home, background=False) as vault:
        first = vault.remember(f"{name} deploys {word} with {mark} on Fridays").id
        second = vault.remember(f"{name} keeps the {word} logs of {mark} for a week").id
        vault.relate(first, second, "relates_to")
        vault.notes.write(note, f"# {name} plan\n\nRoll out {word} to {mark} next.\n")
        session = vault.sessions.start(project=f"{name}-project", title=f"{word} {mark} talk")
        vault.sessions.log(session.id, [f"{name} asks about {word} and {mark}"])
    return Seeded(name, token, home, word, mark, first, second, note, session.id)


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosted]:
    root = tmp_path_factory.mktemp("hosted") / "tenants"
    alpha = seed(root, "alpha", "kestrel", "heron")
    beta = seed(root, "beta", "ocelot", "jaguar")
    with web_server(None, "--tenants", str(root), token=None, embedder="hash") as base:
        yield Hosted(root, base, alpha, beta)


def login(base: str, token: str) -> tuple[httpx2.Client, str]:
    """A client logged in with a tenant's token through the form, its cookie checked."""
    client = httpx2.Client(base_url=base, timeout=30, headers={"Origin": base})
    pre = re.search(r'name="memvault_login" value="([^"]+)"', client.get("/login").text)
    assert pre is not None
    done = client.post("/login", data={"memvault_login": pre.group(1), "token": token})
    assert done.status_code == 303, done.text
    set_cookie = next(v for v in done.headers.get_list("set-cookie") if v.startswith(SESSION))
    attributes = {part.strip().lower() for part in set_cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    page = client.get("/")
    csrf = CSRF_META.search(page.text)
    assert page.status_code == 200 and csrf is not None and csrf.group(1)
    return client, csrf.group(1)


def own_pages(t: Seeded, other: Seeded) -> dict[str, str | None]:
    """Every page and API a tenant reads, with what of its own each must show (None: only
    that it answers)."""
    return {
        "/": None,
        f"/?q={t.word}": t.memory_id,
        f"/?q={t.word}&mode=keyword": t.mark,
        f"/?q={other.word}": None,
        f"/?q={other.word}&mode=keyword": None,
        f"/?q={other.word}&namespace=default&kind=fact": None,
        "/memories": t.memory_id,
        "/memories?sort=importance&superseded=1": t.other_id,
        f"/memories/{t.memory_id}": t.mark,
        f"/memories/{t.memory_id}/forget": t.mark,
        "/notes": t.note,
        "/notes?folder=plans": t.note,
        f"/notes/view?path={t.note}": t.mark,
        f"/notes/edit?path={t.note}": t.mark,
        "/notes/new": None,
        f"/graph?id={t.memory_id}": t.other_id,
        f"/api/graph?id={t.memory_id}": t.other_id,
        f"/graph?note={t.note}": t.note,
        "/operations": str(t.home),
        "/api/jobs": None,
        "/sessions": t.session_id,
        f"/sessions?project={other.name}-project": None,
        f"/sessions/{t.session_id}": t.mark,
    }


def test_each_tenant_sees_its_own_vault_and_nothing_of_the_other(hosted: Hosted) -> None:
    for own, other in ((hosted.alpha, hosted.beta), (hosted.beta, hosted.alpha)):
        client, _csrf = login(hosted.base, own.token)
        for url, expected in own_pages(own, other).items():
            answer = client.get(url)
            assert answer.status_code == 200, (own.name, url, answer.text[:300])
            if expected is not None:
                assert expected in answer.text, (own.name, url)
            for marker in other.markers:
                assert marker not in answer.text, (own.name, url, marker)


def test_another_tenants_ids_and_paths_are_refused(hosted: Hosted) -> None:
    alpha, beta = hosted.alpha, hosted.beta
    folder = beta.home / "vault"
    before = {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    client, csrf = login(hosted.base, alpha.token)
    out = f"../../{beta.name}/vault/{beta.note}"  # from alpha's folder to beta's note
    reads = [
        f"/memories/{beta.memory_id}",
        f"/memories/{beta.memory_id}/forget",
        f"/graph?id={beta.memory_id}",
        f"/api/graph?id={beta.memory_id}",
        f"/sessions/{beta.session_id}",
        f"/notes/view?path={beta.note}",
        f"/notes/view?path={out}",
        f"/notes/view?path=../{beta.name}/vault/{beta.note}",
        f"/notes/edit?path={out}",
        f"/graph?note={out}",
        f"/api/graph?note={out}",
        f"/notes?folder=../../{beta.name}/vault/plans",
    ]
    for url in reads:
        answer = client.get(url)
        assert answer.status_code in (400, 404), (url, answer.status_code)
        # The refusal may name what was asked for (the id, the path), nothing beta holds.
        assert beta.mark not in answer.text and str(beta.home) not in answer.text, url
    writes = [
        (f"/memories/{beta.memory_id}/edit", {"content": "HACKED", "importance": "0.1"}),
        (f"/memories/{beta.memory_id}/supersede", {"content": "HACKED"}),
        (f"/memories/{beta.memory_id}/validate", {"verdict": "refute", "note": "HACKED"}),
        (f"/memories/{beta.memory_id}/forget", {"confirm": "yes"}),
        (f"/notes/edit?path={out}", {"body": "HACKED\n", "base_hash": "0" * 64}),
        ("/notes/new", {"path": f"../../{beta.name}/vault/plans/hacked.md", "body": "HACKED"}),
    ]
    for url, fields in writes:
        answer = client.post(url, data={**fields, "csrf": csrf})
        assert answer.status_code in (400, 404), (url, answer.status_code, answer.text[:300])
    after = {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    assert after == before  # beta's memory files and notes, byte for byte
    beta_client, _ = login(hosted.base, beta.token)
    page = beta_client.get(f"/memories/{beta.memory_id}")
    assert page.status_code == 200 and beta.mark in page.text and "HACKED" not in page.text


def test_a_cookie_naming_another_tenant_is_refused(hosted: Hosted) -> None:
    alpha, beta = hosted.alpha, hosted.beta
    client, _csrf = login(hosted.base, alpha.token)
    good = client.cookies[SESSION]
    name, entry, issued, nonce, signature = good.split(".")
    assert name == alpha.name
    beta_client, _ = login(hosted.base, beta.token)
    beta_entry = beta_client.cookies[SESSION].split(".")[1]
    forged = (
        f"{beta.name}.{entry}.{issued}.{nonce}.{signature}",  # another tenant's name
        f"{beta.name}.{beta_entry}.{issued}.{nonce}.{signature}",  # and its token's entry
        f"{alpha.name}.{beta_entry}.{issued}.{nonce}.{signature}",
        f"{alpha.name}.{entry}.{int(issued) - 1}.{nonce}.{signature}",
        f"{issued}.{nonce}.{signature}",  # a single-vault server's shape
        f"{beta.name}.{entry}.{issued}.{nonce}.{signature}.x",
        "garbage",
    )
    for cookie in forged:
        page = httpx2.get(f"{hosted.base}/memories", cookies={SESSION: cookie})
        assert page.status_code == 303 and page.headers["location"].startswith("/login"), cookie
        api = httpx2.get(f"{hosted.base}/api/jobs", cookies={SESSION: cookie})
        assert api.status_code == 401, cookie
    wrong = httpx2.Client(base_url=hosted.base, headers={"Origin": hosted.base})
    pre = re.search(r'name="memvault_login" value="([^"]+)"', wrong.get("/login").text)
    assert pre is not None
    fields = {"memvault_login": pre.group(1), "token": "mvt_" + "x" * 43}
    refused = wrong.post("/login", data=fields)
    assert refused.status_code == 401 and SESSION not in refused.headers.get("set-cookie", "")
    assert httpx2.get(f"{hosted.base}/", cookies={SESSION: good}).status_code == 200


def test_a_bearer_token_names_the_tenant_over_any_cookie(hosted: Hosted) -> None:
    alpha, beta = hosted.alpha, hosted.beta
    client, _csrf = login(hosted.base, alpha.token)
    bearer = {"Authorization": f"Bearer {beta.token}"}
    page = client.get("/memories", headers=bearer)  # alpha's cookie goes along
    assert page.status_code == 200 and beta.memory_id in page.text
    assert all(marker not in page.text for marker in alpha.markers)
    jobs = httpx2.get(f"{hosted.base}/api/jobs", headers={"Authorization": "Bearer mvt_nope"})
    assert jobs.status_code == 401
    assert client.get("/memories").status_code == 200  # the cookie alone: alpha's again


def test_a_session_ends_with_its_token(hosted: Hosted) -> None:
    """Revoked (by ``memvault tenants revoke``), rotated away (at once, and after a grace), or
    the tenant removed: the next request with a cookie made from that token goes to the login.
    The registry is changed in this process (as the admin command does): the server sees the
    file change."""
    root, base = hosted.root, hosted.base
    registry = TenantRegistry(root)

    def dead(client: httpx2.Client) -> bool:
        page = client.get("/memories")
        api = client.get("/api/jobs")
        return (
            page.status_code == 303
            and page.headers["location"].startswith("/login")
            and (api.status_code == 401)
        )

    _tenant, revoked = registry.add("revoked")
    client, _ = login(base, revoked)
    assert tenants(root, "revoke", "revoked") == {"name": "revoked", "tokens": 0}
    assert dead(client)

    _tenant, first = registry.add("rotated")
    old, _ = login(base, first)
    _tenant, second = registry.rotate("rotated", grace_seconds=2)
    until = time.monotonic() + 2.2
    assert old.get("/memories").status_code == 200  # within the grace
    new, _ = login(base, second)
    while time.monotonic() < until:  # past the old entry's grace
        time.sleep(0.1)
    assert dead(old)
    assert new.get("/memories").status_code == 200  # made from the new token
    registry.rotate("rotated")  # no grace: the new token is gone at once too
    assert dead(new)

    _tenant, removed = registry.add("removed")
    client, csrf = login(base, removed)
    copy = client.cookies[SESSION]
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303  # logging out
    assert httpx2.get(f"{base}/memories", cookies={SESSION: copy}).status_code == 303
    client, _ = login(base, removed)
    registry.remove("removed")
    assert dead(client)


def test_writes_need_the_sessions_csrf_and_change_its_own_vault(hosted: Hosted) -> None:
    alpha, beta = hosted.alpha, hosted.beta
    client, csrf = login(hosted.base, alpha.token)
    _beta_client, beta_csrf = login(hosted.base, beta.token)
    url = f"/memories/{alpha.other_id}/validate"
    for token in ("", beta_csrf, "0" * 64):
        answer = client.post(url, data={"verdict": "confirm", "note": "x", "csrf": token})
        assert answer.status_code == 403 and "CSRF" in answer.text
    done = client.post(url, data={"verdict": "confirm", "note": "seen by alpha", "csrf": csrf})
    assert done.status_code == 303
    assert "seen by alpha" in client.get(f"/memories/{alpha.other_id}").text
    # A check is kept per tenant: alpha's is not shown on beta's page.
    assert client.post("/operations/check", data={"csrf": csrf}).status_code == 303
    assert "Last check" in client.get("/operations").text
    beta_page = _beta_client.get("/operations").text
    assert "Last check" not in beta_page and "No check has run" in beta_page


def test_a_browser_logs_in_with_a_tenant_token_and_finds_its_memory(
    hosted: Hosted, page: Any, tmp_path: Path
) -> None:
    alpha, beta = hosted.alpha, hosted.beta
    page.goto(f"{hosted.base}/memories")
    assert page.url.startswith(f"{hosted.base}/login")
    page.get_by_label("Token").fill(beta.token)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{hosted.base}/memories")
    page.get_by_role("button", name="Log out").click()
    log_in(page, hosted.base, alpha.token)
    cookie = next(c for c in page.context.cookies() if c["name"] == SESSION)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["value"].startswith(f"{alpha.name}.")
    page.get_by_label("Search memories").fill(alpha.word)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(rf".*\?q={alpha.word}"))
    hits = page.locator("ol.hits > li.hit")
    assert hits.count() >= 1
    assert alpha.mark in hits.first.inner_text()
    page.screenshot(path=tmp_path / "hosted-search.png", full_page=True)
    assert beta.mark not in page.locator("main").inner_text()
