"""Sessions in the Markdown folder: a file per session that follows every change, hand edits
picked up like notes, a crash finished by the next process, and a rebuild from the files."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import memvault
from memvault.content.markdown.session_file import session_path
from memvault.core.session_records import MessageDraft, SessionStatus
from memvault.importers.export import Exporter
from memvault.service.sessions import CostDraft, HandoffDraft
from memvault.service.vault import Vault

WORKERS = Path(__file__).parents[1] / "workers"


def file_of(vault: Vault, session_id: str) -> Path:
    assert vault.folder is not None
    return vault.folder / session_path(vault.sessions.get(session_id))


def test_the_file_follows_every_change(vault: Vault) -> None:
    session = vault.sessions.start(project="memvault", agent="claude", title="Tokenizer")
    path = file_of(vault, session.id)
    assert path.is_file() and "status: active" in path.read_text("utf-8")
    vault.sessions.log(session.id, ["split snake_case by its parts"])
    assert "split snake_case by its parts" in path.read_text("utf-8")
    vault.sessions.end(session.id, handoff=HandoffDraft("split snake_case", "camelCase"))
    text = path.read_text("utf-8")
    assert "status: ended" in text and "stopped_at: camelCase" in text
    assert vault.check().ok


def test_a_hand_edit_is_picked_up_like_a_note(vault: Vault) -> None:
    session = vault.sessions.start(project="p")
    vault.sessions.log(session.id, ["the cache is memcached"])
    path = file_of(vault, session.id)
    path.write_text(path.read_text("utf-8").replace("memcached", "redis"), "utf-8")
    report = vault.sync()
    assert report.sessions == 1 and not report.problems
    assert vault.sessions.messages(session.id)[0].content == "the cache is redis"
    hits = vault.sessions.search("redis", mode="keyword")
    assert [h.memory.content for h in hits] == ["the cache is redis"]
    assert vault.sessions.search("memcached", mode="keyword") == []


def test_a_broken_edit_is_reported_and_the_last_good_index_kept(vault: Vault) -> None:
    session = vault.sessions.start(project="p")
    vault.sessions.log(session.id, ["still here"])
    path = file_of(vault, session.id)
    path.write_text(path.read_text("utf-8").replace("status: active", "status: lost"), "utf-8")
    (problem,) = vault.sync().problems
    assert problem.path == path.relative_to(path.parents[2]).as_posix()
    assert "status 'lost' is unknown" in str(problem)
    assert vault.sessions.messages(session.id)[0].content == "still here"


def test_deleting_the_file_deletes_the_session(vault: Vault) -> None:
    session = vault.sessions.start(project="p")
    vault.sessions.log(session.id, ["short lived"])
    file_of(vault, session.id).unlink()
    assert vault.sync().removed == 1
    assert vault.sessions.list() == []
    assert vault.sessions.search("short lived", mode="keyword") == []


def test_a_rebuild_brings_back_every_session_preference_and_pattern(home: Path) -> None:
    with memvault.open(home, background=False) as vault:
        first = vault.sessions.start(project="memvault", user="ana", agent="claude")
        vault.sessions.log(
            first.id,
            ["How do we split?", MessageDraft("By parts.", role="assistant", tokens=3)],
            costs=[CostDraft("m", 10, 5, 0.01)],
        )
        vault.sessions.mark_summarised(first.id)
        vault.sessions.end(first.id, handoff=HandoffDraft("split", "camel", ("a", "b"), ("q?",)))
        second = vault.sessions.start(project="ops")
        vault.sessions.new_conversation(second.id, title="review")
        vault.sessions.log(second.id, ["a second conversation"])
        vault.sessions.pause(second.id)
        vault.preferences.set("style", "short", user="ana")
        vault.preferences.set("style", "bullets", user="ana")
        vault.preferences.observe("migrations forgotten", evidence=2)
        before = {s.id: vault.sessions.show(s.id) for s in vault.sessions.list()}
        preferences = vault.preferences.history("style", user="ana")
        patterns = vault.preferences.patterns()
        exported = io.StringIO()
        Exporter(vault).jsonl(exported)
    for name in ("memvault.db", "memvault.db-wal", "memvault.db-shm"):
        (home / name).unlink(missing_ok=True)
    with memvault.open(home, background=False) as vault:
        report = vault.reindex()
        assert report.sync.sessions == 2 and not report.sync.problems
        after = {s.id: vault.sessions.show(s.id) for s in vault.sessions.list()}
        assert after == before  # every session, conversation, message and handoff, field by field
        assert vault.sessions.get(second.id).status is SessionStatus.PAUSED
        assert vault.preferences.history("style", user="ana") == preferences
        assert vault.preferences.patterns() == patterns
        assert vault.sessions.search("second conversation", mode="keyword")
        again = io.StringIO()
        Exporter(vault).jsonl(again)
        assert again.getvalue() == exported.getvalue()  # the whole export, byte for byte
        assert vault.check().ok


def test_a_crash_between_the_database_and_the_file_is_finished_by_the_next_process(
    home: Path,
) -> None:
    proc = subprocess.run(
        [sys.executable, str(WORKERS / "crash_vault.py"), str(home), "session-file"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # the worker dies on purpose
        env={**os.environ, "MEMVAULT_EMBEDDER": "hash"},
    )
    assert proc.returncode == 9, proc.stderr
    session_id = proc.stdout.split()[0]
    with memvault.open(home, background=False) as vault:
        said = [m.content for m in vault.sessions.messages(session_id)]
        assert said[-1] == "the fourth message, committed but never rendered"
        assert said[-1] in file_of(vault, session_id).read_text("utf-8")
        assert vault.check().ok


def test_retention_archives_idle_sessions_and_rewrites_their_files(vault: Vault) -> None:
    idle = vault.sessions.start(project="p")
    vault.sessions.log(idle.id, ["said long ago", "also long ago"])
    vault.sessions.mark_summarised(idle.id)
    vault.sessions.log(idle.id, ["never summarised"])
    fresh = vault.sessions.start(project="p")
    path = file_of(vault, idle.id)
    text = path.read_text("utf-8")
    for stamp in {
        line.split('"created_at": "')[1][:27]
        for line in text.splitlines()
        if '"created_at": "' in line
    } | {idle.started_at, idle.last_active_at}:
        text = text.replace(stamp, "2020-01-01T00:00:00.000000Z")
    path.write_text(text, "utf-8")
    assert vault.sync().sessions == 1
    vault.sessions.set_retention(archive_idle_days=30, delete_summarised_days=90)
    plan = vault.sessions.prune(dry_run=True)
    assert (plan.archived, plan.deleted) == ((idle.id,), {idle.id: 2})
    assert len(vault.sessions.messages(idle.id)) == 3  # a dry run changes nothing
    done = vault.sessions.prune()
    assert (done.archived, done.deleted) == (plan.archived, plan.deleted)
    assert [m.content for m in vault.sessions.messages(idle.id)] == ["never summarised"]
    assert vault.sessions.get(idle.id).status is SessionStatus.ARCHIVED
    assert vault.sessions.get(fresh.id).status is SessionStatus.ACTIVE
    rewritten = path.read_text("utf-8")
    assert "status: archived" in rewritten and "said long ago" not in rewritten
    assert vault.sync().changed == 0 and vault.check().ok
