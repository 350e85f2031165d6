"""The search page in a real browser and over HTTP: hybrid search with the bundled model, the
explain breakdown, marks, the keyword toggle, filters, paging, a note chunk's file:lines link;
bad input as one clear 400, results in the HTML itself (no JavaScript needed), no access
counted."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import memvault as memvault_api
from memvault.core.errors import InvalidInputError
from memvault.core.records import MemoryDraft
from memvault.web.search import date_bounds
from tests.web.browser import log_in, logged_in_client, memvault, web_server

BEST = "parse_config reads the settings file before every deploy"
OTHER_NAMESPACE = "Rollbacks of a deploy need the parseConfig flag set"
NOTE_BODY = "# Alpha rollout\n\nThe alpha rollout calls parse_config before the schema migration.\n"


def seed(home: Path, embedder: str | None) -> None:
    """Two memories about parse_config in two namespaces, fourteen deploy notes (two pages of
    a deploy search), and a note (chunks with file:lines) written by the CLI."""
    memvault(home, "init", embedder=embedder)
    drafts = [
        MemoryDraft(BEST, namespace="proj", tags=("config",)),
        MemoryDraft(OTHER_NAMESPACE, tags=("ops",)),
    ]
    drafts += [
        MemoryDraft(f"Deploy log {n:02d}: the deploy of service {n} went out") for n in range(14)
    ]
    with memvault_api.open(home, embedder=embedder, background=False) as vault:
        vault.remember_many(drafts)
    memvault(home, "note", "write", "projects/alpha", "-c", NOTE_BODY, embedder=embedder)


def hits(page: Any) -> Any:
    return page.locator("ol.hits > li.hit")


def test_hybrid_search_with_the_bundled_model_in_a_browser(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    seed(home, embedder="bundled")  # kept as the vault's own: the server uses it too
    # The vectors exist before the server starts, and they are the real model's.
    done = json.loads(memvault(home, "jobs", "--wait", "--json", embedder="bundled"))
    assert done["vectors"]["model_id"] == "all-MiniLM-L6-v2-int8" and done["queued"] == 0
    with web_server(home) as base:
        log_in(page, base)
        page.get_by_label("Search memories").fill("settings file parse_config")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(r".*\?q=settings"))
        first = hits(page).first
        assert first.locator(".content").inner_text() == BEST
        marked = first.locator(".content mark").all_inner_texts()
        assert marked == ["parse_config", "settings", "file"]
        summary = first.locator(".explain summary")
        assert re.fullmatch(r"Why: keyword #1, vector #1 · fused [\d.]+", summary.inner_text())
        summary.click()
        table = first.locator(".explain table")
        assert (
            table.locator("tr", has_text="keyword (BM25)").locator("td").first.inner_text() == "1"
        )
        assert (
            table.locator("tr", has_text="vector (cosine)").locator("td").first.inner_text() == "1"
        )
        page.screenshot(path=tmp_path / "hybrid.png", full_page=True)

        page.get_by_role("radio", name="Keyword").check()  # search.js searches again at once
        page.wait_for_url(re.compile(r".*mode=keyword"))
        assert page.get_by_role("radio", name="Keyword").is_checked()
        summaries = hits(page).locator(".explain summary").all_inner_texts()
        assert summaries and all(s.startswith("Why: keyword #") for s in summaries)
        assert not any("vector" in s for s in summaries)
        page.screenshot(path=tmp_path / "keyword.png", full_page=True)

        page.get_by_label("Search memories").fill("parse_config")
        page.get_by_role("radio", name="Hybrid").check()
        page.wait_for_url(re.compile(r"^(?!.*mode=keyword).*q=parse_config"))
        contents = hits(page).locator(".content").all_inner_texts()
        assert BEST in contents and OTHER_NAMESPACE in contents
        page.get_by_label("Namespace").fill("proj")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(r".*namespace=proj"))
        assert hits(page).locator(".content").all_inner_texts() == [BEST]
        page.screenshot(path=tmp_path / "namespace.png", full_page=True)


def test_paging_and_a_note_chunk_link(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    seed(home, embedder="hash")
    memvault(home, "jobs", "--wait", embedder="hash")
    with web_server(home, embedder="hash") as base:
        log_in(page, base)
        page.goto(f"{base}/?q=deploy&mode=keyword")
        assert hits(page).count() == 10
        assert page.get_by_role("heading", name=re.compile("Results 1\u201310")).is_visible()
        page.get_by_role("link", name="Next page").click()
        page.wait_for_url(re.compile(r".*page=2"))
        assert page.get_by_role("heading", name=re.compile("Results 11\u2013")).is_visible()
        second = hits(page).locator(".content").all_inner_texts()
        assert 1 <= len(second) <= 7 and all("deploy" in s.lower() for s in second)
        assert page.get_by_role("link", name="Next page").count() == 0
        assert page.get_by_role("link", name="Previous page").is_visible()
        page.screenshot(path=tmp_path / "page-2.png", full_page=True)

        page.goto(f"{base}/?q=alpha+rollout+migration")
        chunk = hits(page).filter(has_text="schema migration").first
        where = chunk.locator("a.where")
        assert re.fullmatch(r"projects/alpha\.md:\d+-\d+", where.inner_text())
        page.screenshot(path=tmp_path / "chunk-hit.png", full_page=True)
        where.click()
        page.wait_for_url(re.compile(r".*/notes/view\?path=projects%2Falpha\.md"))
        assert page.get_by_role("heading", name="Alpha rollout", exact=True).first.is_visible()
        page.screenshot(path=tmp_path / "note.png", full_page=True)


def test_results_are_in_the_html_and_bad_input_is_one_clear_400(tmp_path: Path) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    with memvault_api.open(home, embedder="hash", background=False) as vault:
        vault.remember_many(
            [
                MemoryDraft("<script>alert(1)</script> the launch checklist"),
                MemoryDraft("an old launch plan", created_at="2024-05-10T09:00:00Z"),
            ]
        )
    with web_server(home, embedder="hash") as base:
        client, _csrf = logged_in_client(base)
        empty = client.get("/")
        assert empty.status_code == 200 and "Search 2 memories" in empty.text

        found = client.get("/", params={"q": "launch checklist", "mode": "keyword"})
        assert found.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt; the <mark>launch</mark>" in found.text
        assert "<script>alert" not in found.text
        assert "Why: keyword #1" in found.text

        dated = client.get(
            "/", params={"q": "launch", "since": "2024-05-01", "until": "2024-05-10"}
        )
        assert "an old <mark>launch</mark> plan" in dated.text  # until is inclusive
        assert "checklist" not in dated.text

        bad = client.get("/", params={"q": "launch", "since": "2024-13-40"})
        assert bad.status_code == 400
        assert re.findall(r'role="alert">([^<]*)<', bad.text) == [
            "since is not a date: &#39;2024-13-40&#39; (use YYYY-MM-DD, e.g. 2026-01-31)"
        ]
        assert client.get("/", params={"q": "x", "mode": "fuzzy"}).status_code == 400
        assert client.get("/", params={"q": "x", "page": "0"}).status_code == 400
        past = client.get("/", params={"q": "x", "page": "11"})  # hybrid ranks 100 deep
        assert past.status_code == 400 and "past the last page" in past.text
        assert client.get("/", params={"q": "launch"}).status_code == 200  # nothing broke

    listed = json.loads(memvault(home, "list", "--json", embedder="hash"))["memories"]
    assert [m["access_count"] for m in listed] == [0, 0]  # searching is not reading


def test_until_is_inclusive_and_must_not_come_before_since() -> None:
    assert date_bounds("2026-01-01", "2026-01-31") == ("2026-01-01", "2026-02-01")
    assert date_bounds(None, "2026-01-31T12:00:00Z") == (None, "2026-01-31T12:00:00Z")
    with pytest.raises(InvalidInputError, match="is after until"):
        date_bounds("2026-02-01", "2026-01-01")
    with pytest.raises(InvalidInputError, match="until is not a date"):
        date_bounds(None, "yesterday")
