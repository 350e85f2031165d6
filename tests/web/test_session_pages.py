"""The sessions pages in a real browser and over HTTP: sessions by project, one session's
handoff and messages, the costs chart by day and model, paging, 404 and escaping.

The sessions are made as agents make them: with the CLI (``memvault session start/log/end``),
and, for costs spent on another day, through the Python API in a subprocess (a cost carries its
own time only there)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.web.browser import log_in, logged_in_client, memvault, web_server

TODAY = datetime.now(UTC).date()
YESTERDAY = TODAY - timedelta(days=1)


def python(home: Path, code: str) -> str:
    """Run ``code`` with ``vault`` open on ``home`` in another process; its stdout."""
    script = f"import memvault\nwith memvault.open({str(home)!r}) as vault:\n" + "".join(
        f"    {line}\n" for line in code.strip().splitlines()
    )
    env = {**os.environ, "MEMVAULT_BACKGROUND": "0", "MEMVAULT_EMBEDDER": "hash"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def start(home: Path, *args: str) -> str:
    return memvault(home, "session", "start", *args, embedder="hash").strip()


def backdated_cost(home: Path, session_id: str, model: str, usd: float, day: str) -> None:
    python(
        home,
        "from memvault.service.sessions import CostDraft\n"
        f"vault.sessions.log({session_id!r}, costs=[CostDraft({model!r}, 1000, 100, {usd!r},"
        f" created_at={day + 'T12:00:00Z'!r})])",
    )


def two_projects(home: Path) -> tuple[str, str]:
    """A shop session (two messages, costs of two models on two days, ended with a handoff)
    and a blog session (one message, one cost today)."""
    memvault(home, "init", embedder="hash")
    shop = start(home, "--project", "shop", "--agent", "claude", "--title", "Checkout speed")
    log = ("session", "log")
    memvault(home, *log, shop, "Why is checkout slow?\nIt takes 4 s.", embedder="hash")
    memvault(
        home,
        *log,
        shop,
        "The cart totals run one query per item.",
        "--role",
        "assistant",
        "--cost",
        "opus:2000:500:1.25",  # today
        embedder="hash",
    )
    backdated_cost(home, shop, "sonnet", 0.5, YESTERDAY.isoformat())
    memvault(
        home,
        "session",
        "end",
        shop,
        "--done",
        "Found the N+1 query in cart totals",
        "--stopped-at",
        "fix drafted, not tested",
        "--next",
        "run the checkout tests",
        "--question",
        "cache the totals?",
        embedder="hash",
    )
    blog = start(home, "--project", "blog", "--agent", "codex")
    memvault(home, *log, blog, "Draft the release post", "--cost", "sonnet:10:10:0.25")
    return shop, blog


def test_sessions_by_project_a_session_and_the_costs_chart(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    shop, blog = two_projects(home)
    with web_server(home, embedder="hash") as base:
        log_in(page, base)
        page.goto(f"{base}/sessions")
        page.screenshot(path=tmp_path / "sessions.png", full_page=True)
        assert page.get_by_role("heading", name="shop").is_visible()
        assert page.get_by_role("heading", name="blog").is_visible()
        assert page.locator(f'a[href="/sessions/{blog}"]').count() == 1
        all_costs_are_charted(page, tmp_path)

        page.get_by_label("Project", exact=True).select_option("shop")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**/sessions?project=shop*")
        page.screenshot(path=tmp_path / "sessions-shop.png", full_page=True)
        assert page.locator(f'a[href="/sessions/{blog}"]').count() == 0
        assert page.get_by_role("heading", name="blog").count() == 0
        row = page.locator("table.sessions tbody tr")
        assert row.count() == 1
        assert "claude" in row.inner_text() and "Found the N+1 query" in row.inner_text()
        assert page.locator('svg.cost-chart rect.bar[data-model="sonnet"]').count() == 1
        totals = page.locator("table.cost-models tfoot tr").inner_text()
        assert "$1.7500" in totals

        page.get_by_role("link", name="Checkout speed").click()
        page.wait_for_url(f"{base}/sessions/{shop}")
        page.screenshot(path=tmp_path / "session.png", full_page=True)
        the_session_page_shows_its_handoff_messages_and_costs(page)


def all_costs_are_charted(page: Any, tmp_path: Path) -> None:
    """Sonnet on two days (shop yesterday, blog today), opus today; colours by CSS class."""
    chart = page.locator("svg.cost-chart")
    assert chart.get_attribute("role") == "img"
    assert chart.locator("rect.bar.series-0").count() == 1  # opus, the most spent
    assert chart.locator('rect.bar[data-model="opus"]').count() == 1
    assert chart.locator('rect.bar[data-model="sonnet"]').count() == 2
    totals = page.locator("table.cost-models tfoot tr").inner_text()
    assert "$2.0000" in totals and "3" in totals  # 1.25 + 0.5 + 0.25, three calls
    days = page.locator("table.cost-days tbody th").all_inner_texts()
    assert days == [YESTERDAY.isoformat(), TODAY.isoformat()]
    # the colours are CSS classes, so they follow the system's dark mode
    opus = chart.locator('rect.bar[data-model="opus"]')
    assert opus.evaluate("e => getComputedStyle(e).fill") == "rgb(11, 92, 173)"
    page.emulate_media(color_scheme="dark")
    assert opus.evaluate("e => getComputedStyle(e).fill") == "rgb(94, 168, 255)"
    page.screenshot(path=tmp_path / "sessions-dark.png", full_page=True)
    page.emulate_media(color_scheme="light")


def the_session_page_shows_its_handoff_messages_and_costs(page: Any) -> None:
    handoff = page.get_by_role("region", name="Handoff")
    text = handoff.inner_text()
    for part in ("Found the N+1 query", "fix drafted, not tested", "run the checkout tests"):
        assert part in text
    assert "cache the totals?" in text
    # the handoff comes first, above the messages
    assert handoff.bounding_box()["y"] < page.locator("ol.messages").bounding_box()["y"]
    messages = page.locator("li.message")
    assert messages.count() == 2
    first = messages.nth(0)
    assert "user" in first.locator(".meta").inner_text()
    assert first.locator(".content").inner_text() == "Why is checkout slow?\nIt takes 4 s."
    assert "assistant" in messages.nth(1).locator(".meta").inner_text()
    costs = page.locator("table.cost-models").inner_text()
    assert "opus" in costs and "sonnet" in costs and "$1.7500" in costs


def test_an_unknown_session_is_a_404_and_what_was_said_is_escaped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    evil = start(home, "--project", "shop", "--title", "<b>bold title</b>")
    memvault(home, "session", "log", evil, "<script>alert('said')</script>", embedder="hash")
    backdated_cost(home, evil, "<img src=x onerror=alert(1)>", 0.5, TODAY.isoformat())
    memvault(home, "session", "end", evil, "--done", "<script>alert('done')</script>")
    with web_server(home, embedder="hash") as base:
        client, _ = logged_in_client(base)
        missing = client.get("/sessions/0190aaaa-0000-7000-8000-000000000000")
        assert missing.status_code == 404
        assert "no session with id 0190aaaa-0000-7000-8000-000000000000" in missing.text
        assert client.get("/sessions/not-an-id-at-all").status_code == 404
        one = client.get(f"/sessions/{evil}")
        assert one.status_code == 200
        for raw in ("<script>alert('said')</script>", "<script>alert('done')</script>", "<b>"):
            assert raw not in one.text
        assert "&lt;script&gt;alert(&#39;said&#39;)&lt;/script&gt;" in one.text
        listing = client.get("/sessions")
        assert "<img src=x" not in listing.text and "<b>bold" not in listing.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in listing.text
        assert client.get("/sessions?page=0").status_code == 400
        assert client.get("/sessions?since=yesterday").status_code == 400


def test_long_sessions_and_long_listings_are_paged(tmp_path: Path) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    talk = start(home, "--project", "shop")
    turns = tmp_path / "turns.jsonl"
    turns.write_text(
        "".join(json.dumps({"role": "user", "content": f"turn {n}"}) + "\n" for n in range(105))
    )
    memvault(home, "session", "log", talk, "--file", str(turns), embedder="hash")
    python(
        home,
        f"vault.sessions.new_conversation({talk!r}, title='Round <two>')\n"
        f"vault.sessions.log({talk!r}, ['after the break'])\n"
        "for n in range(21):\n    vault.sessions.start(project='many')",
    )
    with web_server(home, embedder="hash") as base:
        client, _ = logged_in_client(base)
        first = client.get(f"/sessions/{talk}")
        assert first.text.count('<li class="message ') == 100
        assert "turn 0\n" not in first.text and ">turn 0</div>" in first.text
        assert (
            "Page 1 of 2" in first.text and f'href="/sessions/{talk}?page=2#messages"' in first.text
        )
        assert "Conversation 1" in first.text and "Conversation 2" not in first.text
        second = client.get(f"/sessions/{talk}?page=2")
        assert second.text.count('<li class="message ') == 6
        assert ">turn 104</div>" in second.text and ">turn 99</div>" not in second.text
        assert '<ol class="messages" start="101">' in second.text
        # the page is cut where the second conversation starts, numbering going on
        assert "Conversation 2 · Round &lt;two&gt;" in second.text
        assert '<ol class="messages" start="106">' in second.text
        assert second.text.index(">turn 104<") < second.text.index("Round &lt;two&gt;")
        many = client.get("/sessions?project=many")
        assert many.text.count("<tr>") - many.text.count("<thead>") == 20  # a page of 20
        more = client.get("/sessions?project=many&page=2")
        assert 'rel="prev"' in more.text and 'rel="next"' not in more.text
        rows = more.text.split('<table class="sessions">')[1].split("</table>")[0]
        assert rows.count('href="/sessions/') == 1
