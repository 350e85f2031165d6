"""The operations page in a real browser and over HTTP: the embedding queue moving live (real
bundled model), retrying failed jobs, the check, imports with their verify reports, counts,
sizes and backups."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import apsw
import httpx2

from memvault.web.operations import size_text
from tests.server.mcp_helpers import free_port
from tests.web.browser import TOKEN, log_in, logged_in_client, memvault, web_server

# Run in the page: marks this window (a reload would lose it) and records every state of the
# queue the page shows, as the script changes the numbers in place.
WATCH = """() => {
  const queue = document.getElementById("queue");
  const number = (name) => Number(queue.querySelector(`[data-job="${name}"]`).textContent);
  window.watched = [];
  const look = () => window.watched.push({
    queued: number("queued"), running: number("running"), done: number("done"),
    total: number("total"),
  });
  new MutationObserver(look).observe(queue, {subtree: true, childList: true, characterData: true});
  look();
}"""
DRAINED = """() => { const s = window.watched.at(-1);
  return s.total === TOTAL && s.done === TOTAL && s.queued === 0 && s.running === 0; }"""
NUMBERS = """() => Object.fromEntries(
  ["queued", "running", "done", "failed", "total"].map(
    (name) => [name, Number(document.querySelector(`#queue [data-job="${name}"]`).textContent)]))"""


def cli(home: Path, *args: str, embedder: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI, whatever its exit code (``memvault verify`` exits 1 on a difference)."""
    env = {**os.environ, "MEMVAULT_BACKGROUND": "0"}
    env.pop("MEMVAULT_TOKEN", None)
    if embedder is not None:
        env["MEMVAULT_EMBEDDER"] = embedder
    command = [sys.executable, "-m", "memvault.cli.app", "--home", str(home), *args]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def write_records(path: Path, count: int, changed: dict[int, str] | None = None) -> Path:
    lines = []
    for n in range(count):
        text = (changed or {}).get(
            n, f"Record {n}: the otter survey at site{n:04d} counted {n * 7} otters"
        )
        lines.append(json.dumps({"id": f"r{n}", "content": text, "kind": "fact"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def jobs(home: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(memvault(home, "jobs", "--json"))
    return data


def cell(page: Any, table: str, row: str) -> str:
    """The value beside a row heading in one of the page's two-column tables."""
    text: str = (
        page.locator(f"#{table} tr", has=page.locator("th", has_text=row))
        .first.locator("td")
        .inner_text()
    )
    return text.strip()


@contextmanager
def write_lock(db: Path) -> Iterator[None]:
    """Another connection holding the database's write lock, as a long import or a compact in
    another process would: readers go on, no writer (the embed worker's claims) gets in."""
    conn = apsw.Connection(str(db))
    conn.set_busy_timeout(30_000)  # a writer of the server's may be mid-commit: wait for it
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def server_pid(base: str) -> int:
    """The process of the ``memvault serve --http`` listening at ``base`` (its port is its own)."""
    address = base.removeprefix("http://")
    for entry in Path("/proc").iterdir():
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in words and address.encode() in words:
            return int(entry.name)
    raise AssertionError(f"no server process listens at {base}")


@contextmanager
def paused(pid: int, db: Path) -> Iterator[None]:
    """The server stopped (SIGSTOP) outside any write of its own, so other processes can write:
    a stop that caught it inside a transaction is undone and tried again."""
    for _ in range(100):
        os.kill(pid, signal.SIGSTOP)
        conn = apsw.Connection(str(db))
        try:
            conn.execute("BEGIN IMMEDIATE")  # no busy wait: a held lock is the server's
            conn.execute("ROLLBACK")
            break
        except apsw.BusyError:
            os.kill(pid, signal.SIGCONT)
            time.sleep(0.05)
        finally:
            conn.close()
    else:
        raise AssertionError("the server never let go of the write lock")
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def test_watch_a_queued_embedding_finish_on_the_jobs_page(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="bundled")  # saved as the vault's own model
    memvault(home, "remember", "The heron nests by the weir every spring", embedder="bundled")
    memvault(home, "remember", "Otters were seen below the mill in March", embedder="bundled")
    assert jobs(home)["queued"] == 2  # MEMVAULT_BACKGROUND=0: nobody embedded them yet
    survey = write_records(tmp_path / "survey.jsonl", 1000)
    with web_server(home) as base:  # its worker embeds with the vault's own (bundled) model
        log_in(page, base)
        page.goto(f"{base}/operations")
        page.evaluate(WATCH)
        assert page.locator("#queue p").first.inner_text().startswith("Embedder bundled,")
        page.wait_for_function(DRAINED.replace("TOTAL", "2"), timeout=60_000)
        # Another process queues 1000 more while the page is open. The server is paused while
        # they are written and held off the write lock after, so its worker cannot take them
        # however fast it embeds: the page must show them waiting, then, once the lock is let
        # go, drain, all without being reloaded.
        db = home / "memvault.db"
        with ExitStack() as locked:
            with paused(server_pid(base), db):
                memvault(home, "import", "jsonl", str(survey), embedder="bundled")
                locked.enter_context(write_lock(db))
            page.wait_for_function(
                "() => window.watched.some((s) => s.total === 1002 && s.queued + s.running > 0)"
            )
            page.screenshot(path=tmp_path / "queue-waiting.png", full_page=True)
        page.wait_for_function(DRAINED.replace("TOTAL", "1002"), timeout=120_000)
        assert page.evaluate("Array.isArray(window.watched)")  # the same window: no reload
        seen_done = [s["done"] for s in page.evaluate("window.watched")]
        assert seen_done == sorted(seen_done)  # it only moved forward
        bar = page.get_by_role("progressbar", name="Embedded")
        assert (bar.get_attribute("max"), bar.evaluate("(b) => b.value")) == ("1002", 1002)
        assert page.locator("#queue [data-job=percent]").inner_text() == "100%"
        assert page.locator("#queue [data-job=summary]").inner_text() == "Every memory is embedded."
        page.screenshot(path=tmp_path / "queue-done.png", full_page=True)
    counts = jobs(home)
    assert (counts["done"], counts["queued"], counts["failed"]) == (1002, 0, 0)


def test_retry_a_failed_embedding_from_the_page(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="bundled")
    memvault(home, "remember", "The weir was rebuilt in 1902", embedder="bundled")
    nowhere = f"ollama:nomic-embed-text@http://127.0.0.1:{free_port()}"
    memvault(home, "jobs", "--wait", embedder=nowhere)  # five tries, then the job is parked
    assert jobs(home)["failed"] == 1
    with web_server(home) as base:  # the bundled model, which can embed it
        log_in(page, base)
        page.goto(f"{base}/operations")
        assert page.locator("#queue p").first.inner_text().startswith("Embedder bundled,")
        assert page.evaluate(NUMBERS)["failed"] == 1
        failure = page.locator("#queue table[data-job=failures] tbody tr")
        assert failure.count() == 1 and "unreachable" in failure.inner_text()
        assert failure.locator("td").nth(2).inner_text() == "5"  # attempts before it was parked
        page.screenshot(path=tmp_path / "failed-job.png", full_page=True)
        page.get_by_role("button", name="Retry failed").click()
        page.wait_for_url(f"{base}/operations?done=retried&n=1")
        assert page.locator("p.ok[role=status]").inner_text() == "1 failed job queued again."
        page.wait_for_function(
            "() => document.querySelector('#queue [data-job=done]').textContent === '1'",
            timeout=60_000,
        )
        assert page.evaluate(NUMBERS)["failed"] == 0
        assert page.get_by_text("No failed jobs.").is_visible()
        assert page.get_by_role("button", name="Retry failed").is_disabled()
        page.screenshot(path=tmp_path / "retried.png", full_page=True)
    assert (jobs(home)["done"], jobs(home)["failed"]) == (1, 0)


def test_check_counts_sizes_and_backups_without_javascript(tmp_path: Path, browser: Any) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    memvault(home, "remember", "Deploys go out on Tuesdays", embedder="hash")
    memvault(home, "remember", "Staging mirrors production", "-n", "ops", embedder="hash")
    memvault(home, "remember", "We chose SQLite", "--kind", "decision", embedder="hash")
    memvault(home, "note", "write", "plans/roadmap", "-c", "# Roadmap\n\nShip it.", embedder="hash")
    dest = tmp_path / "backups"
    memvault(home, "backup", str(dest), "--schedule", "daily", "--keep-daily", "7")
    memvault(home, "backup", "--due", embedder="hash")
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        with web_server(home, embedder="hash") as base:
            log_in(page, base)
            page.goto(f"{base}/operations")
            assert (cell(page, "counts", "Memories"), cell(page, "counts", "Notes")) == ("3", "1")
            assert cell(page, "counts", "Superseded") == "0"
            kinds = page.locator("#by-kind tbody tr").all_inner_texts()
            assert [" ".join(k.split()) for k in kinds] == ["fact 2", "decision 1"]
            spaces = page.locator("#by-namespace tbody tr").all_inner_texts()
            assert [" ".join(s.split()) for s in spaces] == ["default 2", "ops 1"]
            assert cell(page, "disk", "Markdown folder") == str(home / "vault")
            on_disk = sum(p.stat().st_size for p in (home / "vault").rglob("*") if p.is_file())
            assert cell(page, "disk", "Folder size") == size_text(on_disk)
            assert "write-ahead log" in cell(page, "disk", "Database size")
            assert cell(page, "backup-schedule", "Schedule") == "daily"
            assert cell(page, "backup-schedule", "Into") == str(dest)
            assert "daily 7" in cell(page, "backup-schedule", "Kept")
            made = Path(cell(page, "last-backup", "Backup"))
            assert made.parent == dest and (made / "manifest.json").is_file()
            assert page.get_by_text("No check has run since this server started.").is_visible()

            page.get_by_role("button", name="Run check").click()
            page.wait_for_url(f"{base}/operations?done=checked")
            notice = page.locator("p.ok[role=status]").inner_text()
            assert notice.startswith("Check finished: all ") and notice.endswith(" checks passed.")
            results = page.locator("#check-results tbody tr")
            names = results.locator("th").all_inner_texts()
            assert {"sqlite_integrity", "keyword_index", "vectors", "vault"} <= set(names)
            verdicts = results.locator("td:nth-child(2)").all_inner_texts()
            assert len(verdicts) == len(names) and set(verdicts) == {"ok"}
            assert f"all {len(names)} checks passed" in notice
            page.screenshot(path=tmp_path / "checked-no-js.png", full_page=True)
            page.goto(f"{base}/operations")  # the result stays for the next visit
            assert page.locator("#check-results tbody tr").count() == len(names)
    finally:
        context.close()


def test_an_import_and_its_verify_reports_show_on_the_page(tmp_path: Path, page: Any) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    source = write_records(tmp_path / "crm.jsonl", 12)
    name = f"jsonl://{source.resolve()}"
    memvault(home, "import", "jsonl", str(source), embedder="hash")
    memvault(home, "verify", "jsonl", str(source), embedder="hash")
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.md").write_text("# A\n\nThe otter plan.\n")
    (project / "b.py").write_text("def count_otters():\n    return 7\n")
    memvault(home, "index", str(project), embedder="hash")
    with web_server(home, embedder="hash") as base:
        log_in(page, base)
        page.goto(f"{base}/operations")
        (run,) = page.locator("#index-runs tbody tr").all()
        cells = [c.strip() for c in run.locator("td").all_inner_texts()]
        assert cells[:3] == [str(project.resolve()), "done", "2 of 2"]
        panel = page.locator("article.import", has=page.locator("h3", has_text=name))
        assert panel.locator("h3 .state").inner_text() == "done"
        assert panel.locator("tbody tr").first.locator("td").first.inner_text() == "12"
        assert panel.locator(".verify-result strong").inner_text() == "Passed"
        report = panel.locator("table.verify tbody td").all_inner_texts()
        assert report[:5] == ["12", "12", "0", "0", "0"]  # records, linked, missing, differ, vec
        page.screenshot(path=tmp_path / "import-verified.png", full_page=True)

        # The source changes behind the vault's back: the next verify says so, and so does the page.
        write_records(source, 12, changed={3: "Record 3 was rewritten at the source"})
        failed = cli(home, "verify", "jsonl", str(source), embedder="hash")
        assert failed.returncode == 1, failed.stderr
        page.reload()
        assert panel.locator(".verify-result strong").inner_text() == "Found problems"
        assert panel.locator("table.verify tbody td").nth(3).inner_text() == "1"
        assert "r3: content differs" in panel.locator(".examples").all_inner_texts()
        page.screenshot(path=tmp_path / "import-verify-failed.png", full_page=True)


def test_the_jobs_api_and_the_writes_behind_the_login_and_csrf(tmp_path: Path) -> None:
    home = tmp_path / "home"
    memvault(home, "init", embedder="hash")
    memvault(home, "remember", "Kingfishers nest in the bank", embedder="hash")
    with web_server(home, embedder="hash") as base:
        anonymous = httpx2.get(f"{base}/api/jobs")
        assert anonymous.status_code == 401 and "not logged in" in anonymous.json()["error"]
        sent_away = httpx2.post(f"{base}/operations/check")
        assert sent_away.status_code == 303 and sent_away.headers["location"].startswith("/login")
        bearer = httpx2.get(f"{base}/api/jobs", headers={"Authorization": f"Bearer {TOKEN}"})
        assert bearer.status_code == 200
        client, csrf = logged_in_client(base)
        try:
            state = client.get("/api/jobs").json()
            assert set(state) >= {"counts", "progress", "failures", "pending", "worker_running"}
            assert state["counts"]["total"] == 1 and state["failures"] == []
            refused = client.post("/operations/retry-failed")
            assert refused.status_code == 403  # a good cookie, no CSRF token
            assert client.post("/operations/check", data={"csrf": "forged"}).status_code == 403
            retried = client.post("/operations/retry-failed", data={"csrf": csrf})
            assert retried.status_code == 303
            assert retried.headers["location"] == "/operations?done=retried&n=0"
            landed = client.get(retried.headers["location"])
            assert "There were no failed jobs to retry." in landed.text
            checked = client.post(
                "/operations/check", headers={"X-CSRF-Token": csrf, "Accept": "application/json"}
            )
            assert checked.status_code == 200 and checked.json()["ok"] is True
            assert checked.json()["at"] and checked.json()["checks"]
            assert 'id="check-results"' in client.get("/operations").text
        finally:
            client.close()


def test_a_db_only_vault_has_no_folder_to_measure(tmp_path: Path) -> None:
    db = tmp_path / "only.db"
    memvault(db, "init", embedder="hash")
    with web_server(db, embedder="hash") as base:
        client, _ = logged_in_client(base)
        text = client.get("/operations").text
        client.close()
    assert "none: this vault is DB-only" in text and "Folder size" not in text
