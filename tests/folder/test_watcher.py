"""The vault watcher: edits made to the vault folder by other programs become searchable.

Files here are written with plain Python, as an editor or a sync tool would, never through
memvault; each change must show up in search within two seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from memvault.folder.sync import SyncReport
from memvault.service.vault import Vault

LIMIT = 2.0  # seconds a user may wait for an outside edit to be searchable


def within(limit: float, check: Callable[[], bool]) -> float:
    """Seconds until ``check()`` is true, polling every 50 ms; fails after ``limit``."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > limit:
            raise AssertionError(f"not true within {limit} s")
        time.sleep(0.05)


def paths_of(vault: Vault, word: str) -> list[str]:
    return [
        hit.memory.location.path if hit.memory.location else f"<memory {hit.memory.id}>"
        for hit in vault.search(word, mode="keyword", k=20)
    ]


@pytest.fixture
def syncs(vault: Vault) -> Iterator[list[SyncReport]]:
    reports: list[SyncReport] = []
    watcher = vault.watcher(on_sync=reports.append)
    watcher.start()
    try:
        yield reports
    finally:
        watcher.stop()


def test_outside_note_write_edit_rename_delete(vault: Vault, syncs: list[SyncReport]) -> None:
    assert vault.folder is not None
    folder = vault.folder / "ideas"
    folder.mkdir()
    note = folder / "gadget.md"
    note.write_text("# Gadget\n\nThe quixotic sprocket design.\n")
    within(LIMIT, lambda: paths_of(vault, "sprocket") == ["ideas/gadget.md"])
    (hit,) = vault.search("sprocket", mode="keyword")
    assert hit.memory.kind == "note" and hit.memory.location is not None
    assert (hit.memory.location.line_start, hit.memory.location.line_end) == (1, 3)

    note.write_text("# Gadget\n\nThe luminous gearbox design, version two.\n")
    within(
        LIMIT,
        lambda: (
            paths_of(vault, "gearbox") == ["ideas/gadget.md"] and paths_of(vault, "sprocket") == []
        ),
    )

    renamed = vault.folder / "archive" / "old-gadget.md"
    renamed.parent.mkdir()
    os.rename(note, renamed)
    within(LIMIT, lambda: paths_of(vault, "gearbox") == ["archive/old-gadget.md"])

    renamed.unlink()
    within(LIMIT, lambda: paths_of(vault, "gearbox") == [])
    assert vault.notes.list() == []
    assert any(report.removed for report in syncs)


def test_hand_edited_memory_file_updates_the_memory(vault: Vault, syncs: list[SyncReport]) -> None:
    assert vault.folder is not None
    made = vault.remember("the office cat likes tuna", tags=["pets"])
    path = vault.folder / "memories" / "default" / f"{made.id}.md"
    text = path.read_text()
    assert text.count("the office cat likes tuna") == 1
    front, body = text.rsplit("---\n", 1)
    path.write_text(front + "---\n" + body.replace("likes tuna", "now prefers salmon"))

    within(
        LIMIT,
        lambda: vault.get(made.id, touch=False).content == "the office cat now prefers salmon",
    )
    memory = vault.get(made.id, touch=False)
    assert memory.tags == ("pets",)  # the front matter was kept as it was
    assert [h.memory.id for h in vault.search("salmon", mode="keyword")] == [made.id]
    assert vault.search("tuna", mode="keyword") == []


def test_hidden_and_non_markdown_files_are_left_alone(
    vault: Vault, syncs: list[SyncReport]
) -> None:
    assert vault.folder is not None
    (vault.folder / ".obsidian").mkdir()
    (vault.folder / ".obsidian" / "workspace.md").write_text("hidden walrus\n")
    (vault.folder / "todo.txt").write_text("plain walrus\n")
    (vault.folder / "visible.md").write_text("visible walrus\n")
    within(LIMIT, lambda: paths_of(vault, "walrus") == ["visible.md"])
    time.sleep(0.5)  # a late sync of the other two would show up here
    assert paths_of(vault, "walrus") == ["visible.md"]


def test_busy_hidden_files_do_not_hold_back_syncs(vault: Vault, syncs: list[SyncReport]) -> None:
    """An editor rewriting its own state file many times a second (Obsidian's workspace, a
    swap file) must not keep the watcher waiting for a quiet moment forever."""
    assert vault.folder is not None
    folder = vault.folder
    state = folder / ".obsidian" / "workspace.json"
    state.parent.mkdir()
    done = threading.Event()

    def busy_editor() -> None:
        n = 0
        while not done.is_set():
            state.write_text(f'{{"n": {n}}}')
            (folder / "scratch.txt").write_text(str(n))
            n += 1
            time.sleep(0.05)

    editor = threading.Thread(target=busy_editor)
    editor.start()
    try:
        time.sleep(0.2)
        (folder / "meeting.md").write_text("Agenda: the pangolin budget.\n")
        within(LIMIT, lambda: paths_of(vault, "pangolin") == ["meeting.md"])
    finally:
        done.set()
        editor.join()


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MEMVAULT_EMBEDDER": "hash",
        "MEMVAULT_BACKGROUND": "0",
        "MEMVAULT_HOME": str(home),
    }


def _cli(home: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "memvault.cli.app", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_watch_command_syncs_outside_writes_and_stops_on_sigterm(tmp_path: Path) -> None:
    home = tmp_path / "home"
    watcher = subprocess.Popen(
        [sys.executable, "-m", "memvault.cli.app", "--home", str(home), "watch", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(home),
    )
    try:
        assert watcher.stdout is not None
        first = json.loads(watcher.stdout.readline())  # ready: the initial sync is done
        assert first["problems"] == [] and first["removed"] == 0

        (home / "vault" / "journal.md").write_text("# Journal\n\nSaw a xylophone concert.\n")

        def found() -> bool:
            hits = _cli(home, "search", "xylophone", "--json")["hits"]
            return [h["location"]["path"] for h in hits] == ["journal.md"]

        within(LIMIT, found)

        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=10)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    assert watcher.returncode == 0, err
    assert err == ""
    lines = [json.loads(line) for line in out.splitlines()]
    assert sum(line["notes"] for line in lines) == 1


def test_watch_command_stops_when_its_reader_goes_away(tmp_path: Path) -> None:
    """`memvault watch --json | head -1`: once the pipe is closed, the watch ends (exit 0)
    at its next report instead of running on with a dead watcher thread."""
    home = tmp_path / "home"
    watcher = subprocess.Popen(
        [sys.executable, "-m", "memvault.cli.app", "--home", str(home), "watch", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(home),
    )
    try:
        assert watcher.stdout is not None and watcher.stderr is not None
        json.loads(watcher.stdout.readline())
        watcher.stdout.close()  # the reader is gone
        (home / "vault" / "first.md").write_text("first\n")
        watcher.wait(timeout=10)
        err = watcher.stderr.read().decode()
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    assert watcher.returncode == 0, err
    assert "Traceback" not in err and "Exception" not in err
