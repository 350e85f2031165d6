"""``memvault copy``: SQLite → PostgreSQL → SQLite with everything a vault holds, exports equal,
vectors carried, ``check`` ok on each, a stopped copy resumed, a non-empty target refused."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

import memvault
from memvault import MemoryDraft
from memvault.cli.app import main
from memvault.importers.copy import BATCH
from memvault.importers.export import Exporter
from memvault.service.sessions import HandoffDraft
from tests.postgres_server import split_location


def build(home: Path) -> int:
    """A vault with memories, a note, edges, validations, a supersession, a session and a
    vector for every memory; returns how many memories have vectors."""
    with memvault.open(home, background=False) as vault:
        ids = [
            vault.remember(
                f"parseConfig note {n} about the okapi", tags=["zoo"], metadata={"n": n}
            ).id
            for n in range(12)
        ]
        decision = vault.remember("we ship on Fridays", kind="decision", namespace="ops").id
        vault.relate(ids[0], ids[11], "derived_from", weight=0.5)  # to a memory of later id
        vault.relate(decision, ids[3])
        vault.validate(ids[2], "confirm", actor="me")
        vault.revise(decision, "we ship on Thursdays")  # supersedes the Friday one
        vault.notes.write("ideas/plan.md", "# Plan\n\nSee [[Other]].\n", tags=["work"])
        session = vault.sessions.start(project="zoo", agent="keeper")
        vault.sessions.log(session.id, ["the okapi sleeps at noon", "feed it at two"])
        vault.sessions.end(session.id, handoff=HandoffDraft("fed the okapi", None, ("weigh it",)))
        vault.wait_for_jobs()
        return vault.stats().memories


def export(location: Path | str, home: Path | None = None) -> str:
    out = io.StringIO()
    opened = (
        memvault.open(home, db=location, background=False)
        if isinstance(location, str)
        else (memvault.open(location, background=False))
    )
    with opened as vault:
        Exporter(vault).jsonl(out, vectors=True)
        assert vault.check().ok, vault.check().to_dict()
    return out.getvalue()


def copy(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    capsys.readouterr()
    code = main(["copy", *args, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {"error": err})


def test_sqlite_to_postgresql_to_sqlite_keeps_everything(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, middle, last = tmp_path / "first", tmp_path / "middle", tmp_path / "last"
    memories = build(first)
    code, there = copy(capsys, str(first), postgres_url, "--to-home", str(middle))
    assert code == 0 and there["ok"], there
    assert there["memories"] == memories and there["vectors"] == memories
    assert (there["notes"], there["sessions"], there["queued"]) == (1, 1, 0)
    code, back = copy(capsys, postgres_url, str(last), "--from-home", str(middle))
    assert code == 0 and back["ok"] and back["vectors"] == memories, back
    original = export(first)
    assert export(postgres_url, middle) == original  # same lines, vectors included
    assert export(last) == original
    # a run again finds every batch there: nothing is written twice
    code, again = copy(capsys, str(first), postgres_url, "--to-home", str(middle))
    assert code == 0 and again["ok"] and again["skipped"] == memories, again


def test_a_copy_refuses_a_store_that_holds_something_else(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    build(tmp_path / "first")
    with memvault.open(postgres_url, background=False) as other:
        other.remember("someone else's memory")
    code, refused = copy(
        capsys, str(tmp_path / "first"), postgres_url, "--to-home", str(tmp_path / "m")
    )
    assert code != 0 and "is not empty" in refused["error"], refused
    with memvault.open(postgres_url, background=False) as other:
        assert [m.content for m in other.list()] == ["someone else's memory"]


def test_notes_need_a_folder_on_the_other_side(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    build(tmp_path / "first")
    code, refused = copy(capsys, str(tmp_path / "first"), postgres_url)
    assert code != 0 and "has notes" in refused["error"], refused


def test_a_copy_killed_halfway_goes_on_where_it_stopped(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "big.db"
    with memvault.open(source, background=False) as vault:
        vault.remember_many([MemoryDraft(f"memory {n} of the big vault") for n in range(2_500)])
        vault.wait_for_jobs()
    command = [sys.executable, "-m", "memvault.cli.app", "copy", str(source), postgres_url]
    running = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url, schema = split_location(postgres_url)
    copied = 0
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + 120
        # two batches in: the first one's vectors were carried before the second was written
        while copied < 2 * BATCH and running.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
            with contextlib.suppress(psycopg.errors.UndefinedTable):
                copied = conn.execute(f"SELECT count(*) FROM {schema}.memories").fetchone()[0]
    running.send_signal(signal.SIGKILL)
    running.wait()
    assert 2 * BATCH <= copied < 2_500, copied  # killed with part of it in
    again = subprocess.run([*command, "--json"], capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["ok"] and report["memories"] == 2_500 and report["skipped"] >= BATCH, report
    assert export(postgres_url) == export(source)
