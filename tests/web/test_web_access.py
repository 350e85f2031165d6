"""Every page of the web page read without JavaScript, labelled, keyboard-reachable and in dark
mode, in a real chromium against a real server. The pages are the navigation bar's
(``SECTIONS``) and a few reached from it, so pages merged later are checked the same way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from memvault.web.context import SECTIONS
from tests.web.browser import log_in, memvault, web_server

NOTE = "ideas/plan.md"
# The empty search page puts the cursor in its box (autofocus): from the top means with a query.
FROM_THE_TOP = {"/": "/?q=deploy"}

UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => e.type !== 'hidden' && e.getClientRects().length > 0)
  .filter(e => {
    if (['submit', 'reset'].includes(e.type)) return false;  // named by the browser
    if (e.type === 'button') return !e.value.trim();
    if (e.labels && Array.from(e.labels).some(l => l.textContent.trim())) return false;
    if ((e.getAttribute('aria-label') || '').trim()) return false;
    const ids = (e.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    return !ids.some(id => (document.getElementById(id)?.textContent || '').trim());
  })
  .map(e => e.outerHTML.slice(0, 120))"""

FOCUSED = """() => { const e = document.activeElement;
  return e ? {tag: e.tagName, text: (e.textContent || '').trim(), href: e.getAttribute('href'),
              id: e.id, skip: e.classList.contains('skip')} : null }"""

BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """A server with a memory and a note: its base URL and the pages to check."""
    home = tmp_path_factory.mktemp("access") / "home"
    memvault(home, "init", embedder="hash")
    done = memvault(home, "remember", "deploy with blue-green", "--json", embedder="hash")
    memory_id = json.loads(done)["id"]
    note = home / "vault" / NOTE
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text("# Plan\n\nShip the web page.\n", "utf-8")
    pages = [path for path, _label in SECTIONS] + [
        "/?q=deploy",
        f"/memories/{memory_id}",
        f"/memories/{memory_id}/forget",
        f"/notes/view?path={NOTE}",
        f"/notes/edit?path={NOTE}",
        "/notes/new",
        f"/graph?id={memory_id}",
    ]
    with web_server(home, embedder="hash") as base:
        yield base, pages


@pytest.fixture
def logged_in(browser: Any, served: tuple[str, list[str]]) -> Iterator[Any]:
    """A logged-in page with JavaScript on."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, served[0])
    yield page
    context.close()


def _name(url: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in url.strip("/")) or "search"


def test_every_page_reads_without_javascript(
    browser: Any, served: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, pages = served
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, base)  # the login is a plain form
        for url in pages:
            answer = page.goto(f"{base}{url}")
            assert answer is not None and answer.status == 200, url
            heading = page.locator("main h1").first
            assert heading.is_visible() and heading.inner_text().strip(), url
            page.screenshot(path=tmp_path / f"nojs-{_name(url)}.png", full_page=True)
    finally:
        context.close()


def test_every_field_has_a_label(
    logged_in: Any, served: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, pages = served
    checked = 0
    for url in [*pages, "/login"]:
        logged_in.goto(f"{base}{url}")
        assert logged_in.evaluate(UNLABELLED) == [], url
        checked += logged_in.locator("input:not([type=hidden]), select, textarea").count()
        logged_in.screenshot(path=tmp_path / f"labels-{_name(url)}.png", full_page=True)
    assert checked > 5  # the search, filter and edit forms were there to check


def test_tab_reaches_the_skip_link_then_the_sections(
    logged_in: Any, served: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, _pages = served
    expected = [path for path, _label in SECTIONS]
    for path in expected:
        url = FROM_THE_TOP.get(path, path)
        logged_in.goto(f"{base}{url}")
        logged_in.keyboard.press("Tab")
        first = logged_in.evaluate(FOCUSED)
        assert first["skip"] and first["text"] == "Skip to content", (url, first)
        links = []
        for _ in range(len(expected) + 1):  # the brand link may come before the sections
            logged_in.keyboard.press("Tab")
            links.append(logged_in.evaluate(FOCUSED)["href"])
        assert expected in (links[: len(expected)], links[1:]), (url, links)
        logged_in.screenshot(path=tmp_path / f"tab-{_name(url)}.png")
        logged_in.goto(f"{base}{url}")
        logged_in.keyboard.press("Tab")
        logged_in.keyboard.press("Enter")  # the skip link puts the keyboard in the content
        assert logged_in.evaluate(FOCUSED)["id"] == "main", url


def test_dark_mode_follows_the_system_setting(
    logged_in: Any, served: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, pages = served
    for url in pages:
        for scheme in ("light", "dark"):
            logged_in.emulate_media(color_scheme=scheme)
            logged_in.goto(f"{base}{url}")
            shade = _lightness(logged_in.evaluate(BACKGROUND))
            assert (shade < 0.2) if scheme == "dark" else (shade > 0.8), (url, scheme, shade)
            logged_in.screenshot(path=tmp_path / f"{scheme}-{_name(url)}.png", full_page=True)


def _lightness(css: str) -> float:
    """0 (black) to 1 (white) of an ``rgb(…)``/``rgba(…)`` colour."""
    numbers = [float(n) for n in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    red, green, blue = (n / 255 for n in numbers)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue
