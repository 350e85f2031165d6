"""The Notes pages on a real server: the tree, a rendered note with working wiki links, the
editor that writes the file on disk, and the conflict when the file changed underneath."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.web.browser import log_in, logged_in_client, memvault, web_server

BAD_PATHS = ("../escape.md", "ideas/../../escape.md", "/etc/escape.md", "memories/default/x.md")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """One server for the HTTP tests: its home and base URL."""
    home = tmp_path_factory.mktemp("notes") / "home"
    memvault(home, "init", embedder="hash")
    with web_server(home, embedder="hash") as base:
        yield home, base


def _client(base: str) -> tuple[httpx2.Client, str]:
    return logged_in_client(base)


def _hash_of(page: str) -> str:
    found = re.search(r'name="base_hash" value="([0-9a-f]+)"', page)
    assert found is not None, page
    return found.group(1)


def test_paths_out_of_the_vault_are_refused_on_every_route(served: tuple[Path, str]) -> None:
    home, base = served
    client, csrf = _client(base)
    for bad in BAD_PATHS:
        for answer in (
            client.get("/notes/view", params={"path": bad}),
            client.get("/notes/edit", params={"path": bad}),
            client.post(
                "/notes/edit",
                params={"path": bad},
                data={"body": "stolen\n", "base_hash": "0" * 64, "csrf": csrf},
            ),
            client.post("/notes/new", data={"path": bad, "body": "stolen\n", "csrf": csrf}),
        ):
            assert answer.status_code == 400, (bad, answer.request.url, answer.text)
            errors = re.findall(r'<p class="error" role="alert">([^<]*)</p>', answer.text)
            assert len(errors) == 1 and "note path" in errors[0], answer.text
    assert not (home / "escape.md").exists() and not (home.parent / "escape.md").exists()
    assert not (home / "vault" / "memories" / "default" / "x.md").exists()


def test_script_in_a_note_is_shown_escaped(served: tuple[Path, str]) -> None:
    _home, base = served
    client, csrf = _client(base)
    body = "# Danger\n\n<script>alert('boom')</script>\n\n<img src=x onerror=alert(2)>\n"
    made = client.post("/notes/new", data={"path": "x/danger", "body": body, "csrf": csrf})
    assert made.status_code == 303 and made.headers["location"].endswith("path=x%2Fdanger.md")
    page = client.get("/notes/view", params={"path": "x/danger.md"})
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert('boom')&lt;/script&gt;" in page.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in page.text


def test_a_new_note_never_overwrites_an_existing_file(served: tuple[Path, str]) -> None:
    home, base = served
    client, csrf = _client(base)
    first = {"path": "dup.md", "body": "the first\n", "csrf": csrf}
    assert client.post("/notes/new", data=first).status_code == 303
    again = client.post("/notes/new", data={**first, "body": "the second\n"})
    assert again.status_code == 409
    assert "dup.md exists already" in again.text and "the second" in again.text  # kept
    assert "the first" in (home / "vault" / "dup.md").read_text("utf-8")


def test_a_save_from_a_stale_editor_is_a_conflict(served: tuple[Path, str]) -> None:
    home, base = served
    client, csrf = _client(base)
    client.post("/notes/new", data={"path": "stale.md", "body": "v1\n", "csrf": csrf})
    base_hash = _hash_of(client.get("/notes/edit", params={"path": "stale.md"}).text)
    file = home / "vault" / "stale.md"
    file.write_text(file.read_text("utf-8").replace("v1", "outside v2"), "utf-8")
    answer = client.post(
        "/notes/edit",
        params={"path": "stale.md"},
        data={"body": "my v3\r\n", "base_hash": base_hash, "csrf": csrf},
    )
    assert answer.status_code == 409
    assert "my v3" in answer.text and "outside v2" in answer.text
    assert "outside v2" in file.read_text("utf-8") and "my v3" not in file.read_text("utf-8")
    # Saving over it from the conflict page carries the new hash: now it is written.
    again = client.post(
        "/notes/edit",
        params={"path": "stale.md"},
        data={"body": "my v3\r\n", "base_hash": _hash_of(answer.text), "csrf": csrf},
    )
    assert again.status_code == 303
    assert file.read_text("utf-8").endswith("\nmy v3\n")  # CR LF from the form stored as LF


def test_a_write_without_the_csrf_token_is_refused(served: tuple[Path, str]) -> None:
    home, base = served
    client, _csrf = _client(base)
    answer = client.post("/notes/new", data={"path": "forged.md", "body": "x\n"})
    assert answer.status_code == 403
    assert not (home / "vault" / "forged.md").exists()


def test_a_db_only_vault_says_it_has_no_notes(tmp_path: Path) -> None:
    database = tmp_path / "only.db"
    memvault(database, "init", embedder="hash")
    with web_server(database, embedder="hash") as base:
        client, _csrf = _client(base)
        page = client.get("/notes")
        assert page.status_code == 200 and "has no Markdown folder (DB-only mode)" in page.text
        assert "New note" not in page.text


def test_notes_in_the_browser_create_follow_edit_and_conflict(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    with web_server(home, embedder="hash") as base:
        log_in(page, base)
        _create(page, base, "money/Budget.md", "Budget", "# Budget\n\nRent and food.\n")
        _create(page, base, "ideas/plan", "Plan", "Next: read [[Budget]] and `[[Budget]]`.\n")
        page.screenshot(path=tmp_path / "note-view.png", full_page=True)
        assert page.locator(".markdown code").inner_text() == "[[Budget]]"  # code stays code

        page.goto(f"{base}/notes")
        tree = page.locator("main .tree").first
        assert tree.get_by_role("link", name="money/").is_visible()
        assert tree.get_by_role("link", name="Plan").is_visible()
        page.screenshot(path=tmp_path / "notes-tree.png", full_page=True)

        page.get_by_role("link", name="Plan").click()
        page.locator(".markdown").get_by_role("link", name="Budget").click()
        page.wait_for_url(re.compile(r"/notes/view\?path=money%2FBudget\.md$"))
        assert page.get_by_role("heading", level=1).first.inner_text() == "Budget"
        backlinks = page.locator("section[aria-labelledby=backlinks]")
        assert backlinks.get_by_role("link", name="ideas/plan.md").is_visible()

        page.get_by_role("link", name="Edit").click()
        editor = page.get_by_label("Body")
        assert "Rent and food." in editor.input_value()
        editor.fill("# Budget\n\nRent, food and books.\n")
        page.screenshot(path=tmp_path / "note-editor.png", full_page=True)
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(re.compile(r"/notes/view\?path=money%2FBudget\.md$"))
        assert "Rent, food and books." in page.locator(".markdown").inner_text()
        file = home / "vault" / "money" / "Budget.md"
        assert file.read_text("utf-8").endswith("# Budget\n\nRent, food and books.\n")

        page.get_by_role("link", name="Edit").click()
        page.get_by_label("Body").fill("# Budget\n\nMy browser text.\n")
        outside = file.read_text("utf-8").replace("books", "a bike, changed outside")
        file.write_text(outside, "utf-8")  # behind the open editor's back
        with page.expect_response(lambda r: r.request.method == "POST") as saved:
            page.get_by_role("button", name="Save").click()
        assert saved.value.status == 409
        page.screenshot(path=tmp_path / "note-conflict.png", full_page=True)
        assert "changed on disk" in page.get_by_role("alert").inner_text()
        assert "My browser text." in page.get_by_label("Your text").input_value()
        assert "a bike, changed outside" in page.locator(".current-body").inner_text()
        assert file.read_text("utf-8") == outside
        page.get_by_role("link", name="start again from the current version").click()
        assert "a bike, changed outside" in page.get_by_label("Body").input_value()


def _create(page: Any, base: str, path: str, title: str, body: str) -> None:
    page.goto(f"{base}/notes")
    page.get_by_role("link", name="New note").click()
    page.get_by_label("Path").fill(path)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Body").fill(body)
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/notes/view\?path="))
    assert page.get_by_role("heading", level=1).first.inner_text() == title
