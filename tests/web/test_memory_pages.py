"""The memories list and the memory page in a real browser: sort, supersede, validate, edit and
forget through the forms, checked on the page, in the memory files and with the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import memvault as memvault_api
from memvault.core.records import MemoryDraft
from tests.web.browser import log_in, logged_in_client, memvault, web_server


def remember(home: Path, text: str, *options: str) -> str:
    done = memvault(home, "remember", text, *options, "--json", embedder="hash")
    memory_id: str = json.loads(done)["id"]
    return memory_id


def shown(home: Path, memory_id: str) -> dict[str, Any]:
    """The memory as ``memvault get --json`` prints it (that read counts as an access)."""
    data: dict[str, Any] = json.loads(memvault(home, "get", memory_id, "--json", embedder="hash"))
    return data


def get_fails(home: Path, memory_id: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MEMVAULT_BACKGROUND": "0", "MEMVAULT_EMBEDDER": "hash"}
    env.pop("MEMVAULT_TOKEN", None)
    command = [sys.executable, "-m", "memvault.cli.app", "--home", str(home)]
    return subprocess.run(
        [*command, "get", memory_id, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def memory_file(home: Path, memory_id: str, namespace: str = "default") -> Path:
    return home / "vault" / "memories" / namespace / f"{memory_id}.md"


def rows(page: Any) -> list[str]:
    """The first cell of each row of the memories table."""
    cells = page.locator("table.memories tbody tr td:first-child a")
    return [text.strip() for text in cells.all_inner_texts()]


def test_sort_by_importance_then_supersede_through_the_form(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    critical = remember(home, "critical: never force-push main", "--importance", "0.95")
    routine = remember(home, "routine: lint before commit", "--importance", "0.2", "-n", "team")
    remember(home, "moderate: squash small fixups", "--importance", "0.5")
    with web_server(home, embedder="hash") as base:
        log_in(page, base)
        page.goto(f"{base}/memories")
        assert rows(page) == [
            "moderate: squash small fixups",
            "routine: lint before commit",
            "critical: never force-push main",
        ]  # newest first
        page.get_by_label("Sort").select_option("importance")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(re.compile(r"/memories\?.*sort=importance"))
        assert rows(page) == [
            "critical: never force-push main",
            "moderate: squash small fixups",
            "routine: lint before commit",
        ]
        first = page.locator("table.memories tbody tr").first
        assert "0.95" in first.inner_text()
        assert first.get_by_role("link").get_attribute("href") == f"/memories/{critical}"
        page.screenshot(path=tmp_path / "memories-by-importance.png", full_page=True)

        page.get_by_role("link", name="routine: lint before commit").click()
        page.wait_for_url(f"{base}/memories/{routine}")
        page.get_by_label("Text of the new version").fill(
            "routine: lint and test before commit\nthen push"
        )
        page.get_by_role("button", name="Save as new version").click()
        page.wait_for_url(re.compile(r"/memories/[^/?]+\?done=superseded$"))
        newer = page.url.split("/memories/")[1].split("?")[0]
        assert newer != routine
        assert "new version" in page.get_by_role("status").inner_text()
        assert page.locator("#content").inner_text() == (
            "routine: lint and test before commit\nthen push"
        )  # a line break kept, not a CRLF and not run together
        assert "Superseded" not in page.locator("main").inner_text()
        older = page.locator("ol.versions").get_by_role("link", name="routine: lint before commit")
        assert older.get_attribute("href") == f"/memories/{routine}"
        assert "team" in page.locator(".fields").inner_text()  # the namespace carried over
        page.screenshot(path=tmp_path / "new-version.png", full_page=True)

        older.click()
        page.wait_for_url(f"{base}/memories/{routine}")
        notice = page.get_by_role("region", name="Superseded")
        assert "This memory was superseded" in notice.inner_text()
        to_new = notice.get_by_role("link", name="routine: lint and test before commit")
        assert to_new.get_attribute("href") == f"/memories/{newer}"
        assert page.get_by_role("button", name="Save as new version").count() == 0
        page.screenshot(path=tmp_path / "old-version.png", full_page=True)

        listed_only_with_superseded(page, base, "routine: lint before commit")

    old_file = memory_file(home, routine, "team").read_text()
    assert f"superseded_by: {newer}" in old_file and "valid_to:" in old_file
    new_file = memory_file(home, newer, "team").read_text()
    assert "relation: supersedes" in new_file and f"target: {routine}" in new_file
    assert new_file.endswith("routine: lint and test before commit\nthen push\n")


def listed_only_with_superseded(page: Any, base: str, text: str) -> None:
    """A superseded memory is left out of the list until "Include superseded" is ticked."""
    page.goto(f"{base}/memories")
    assert text not in rows(page)
    page.get_by_label("Include superseded").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"superseded=1"))
    assert text in rows(page)
    assert page.locator("tr.superseded").count() == 1


def test_validate_edit_and_forget_through_the_forms(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    staging = remember(home, "the staging DB is at db-staging:5432", "--confidence", "0.5")
    with web_server(home, embedder="hash") as base:
        log_in(page, base)
        page.goto(f"{base}/memories/{staging}")
        assert page.locator("#confidence").inner_text() == "0.50"
        page.get_by_label("Confirm").check()
        page.get_by_label("Note").fill("checked against the deploy config")
        page.get_by_role("button", name="Record validation").click()
        page.wait_for_url(f"{base}/memories/{staging}?done=validated")
        assert page.locator("#confidence").inner_text() == "0.65"  # +30 % of the way to 1
        event = page.locator("table.validations tbody tr").first.inner_text()
        assert "confirm" in event and "web" in event and "0.50 → 0.65" in event
        assert "checked against the deploy config" in event
        page.screenshot(path=tmp_path / "validated.png", full_page=True)

        page.get_by_label("Text", exact=True).fill("the staging DB is at db-staging:6432")
        page.get_by_label("Tags (comma-separated)").fill("db, staging")
        page.get_by_label("Importance").fill("0.8")
        page.get_by_role("button", name="Save changes").click()
        page.wait_for_url(f"{base}/memories/{staging}?done=updated")
        assert page.locator("#content").inner_text() == "the staging DB is at db-staging:6432"
        assert page.locator("#access-count").inner_text() == "0"  # looking is not using
        page.screenshot(path=tmp_path / "edited.png", full_page=True)
        stored = shown(home, staging)
        assert stored["content"] == "the staging DB is at db-staging:6432"
        assert stored["tags"] == ["db", "staging"] and stored["importance"] == 0.8
        assert stored["confidence"] == 0.65 and stored["access_count"] == 1  # the CLI's read
        assert "db-staging:6432" in memory_file(home, staging).read_text()

        page.get_by_role("link", name="Forget this memory…").click()
        page.wait_for_url(f"{base}/memories/{staging}/forget")
        assert page.get_by_role("heading", level=1).inner_text() == "Forget this memory?"
        assert "the staging DB is at db-staging:6432" in page.locator("main").inner_text()
        page.screenshot(path=tmp_path / "forget-confirmation.png", full_page=True)
        page.get_by_role("button", name="Forget this memory").click()
        page.wait_for_url(f"{base}/memories?done=forgotten")
        assert page.get_by_role("status").inner_text() == "The memory was forgotten."
        assert rows(page) == []
        page.screenshot(path=tmp_path / "forgotten.png", full_page=True)

    gone = get_fails(home, staging)
    assert gone.returncode == 3 and json.loads(gone.stderr)["kind"] == "not_found"
    assert not memory_file(home, staging).exists()


def test_forget_without_confirm_is_refused_and_bad_input_is_one_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    kept = remember(home, "<script>alert('x')</script> keep me")
    with web_server(home, embedder="hash") as base:
        client, csrf = logged_in_client(base)
        for form in ({"csrf": csrf}, {"csrf": csrf, "confirm": "no"}):
            refused = client.post(f"/memories/{kept}/forget", data=form)
            assert refused.status_code == 400
            assert "nothing was forgotten" in refused.text
        no_token = client.post(f"/memories/{kept}/forget", data={"confirm": "yes"})
        assert no_token.status_code == 403
        listed = client.get("/memories")
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; keep me" in listed.text
        assert "<script>alert" not in listed.text
        assert "<script>alert" not in client.get(f"/memories/{kept}").text
        bad_sort = client.get("/memories?sort=loudest")
        assert bad_sort.status_code == 400 and "unknown order &#39;loudest&#39;" in bad_sort.text
        assert client.get("/memories?page=0").status_code == 400
        assert client.get("/memories/no-such-memory").status_code == 404
        assert shown(home, kept)["content"].endswith("keep me")  # still there
        done = client.post(f"/memories/{kept}/forget", data={"csrf": csrf, "confirm": "yes"})
        assert done.status_code == 303 and done.headers["location"] == "/memories?done=forgotten"
    assert get_fails(home, kept).returncode == 3


def test_the_list_pages_by_25_and_the_pager_keeps_filters_and_sort(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with memvault_api.open(home, embedder="hash", background=False) as vault:
        vault.remember_many(
            [MemoryDraft(f"ops memory {n:02d}", namespace="ops", importance=n / 100)
             for n in range(30)]
            + [MemoryDraft("elsewhere", namespace="other", importance=1.0)]
        )  # fmt: skip
    with web_server(home, embedder="hash") as base:
        client, _ = logged_in_client(base)
        first = client.get("/memories", params={"namespace": "ops", "sort": "importance"})
        texts = re.findall(r'<a href="/memories/[^"]+">(ops memory \d+|elsewhere)</a>', first.text)
        assert texts == [f"ops memory {n:02d}" for n in range(29, 4, -1)]  # 25, most important
        following = re.search(r'<a href="(/memories\?[^"]+)" rel="next">', first.text)
        assert following is not None and 'rel="prev"' not in first.text
        second = client.get(following.group(1).replace("&amp;", "&"))
        texts = re.findall(r'<a href="/memories/[^"]+">(ops memory \d+|elsewhere)</a>', second.text)
        assert texts == [f"ops memory {n:02d}" for n in range(4, -1, -1)]
        assert 'rel="next"' not in second.text and 'rel="prev"' in second.text
        assert client.get("/memories?page=3&namespace=ops").text.count("No memories on page 3") == 1
