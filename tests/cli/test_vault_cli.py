"""The Markdown vault from the command line, run as a separate process the way scripts and
outside checks run it: `note`, `reindex`, `index`, their JSON, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXE = shutil.which("memvault", path=str(Path(sys.executable).parent)) or "memvault"


class Cli:
    """Runs the installed ``memvault`` console script against one home folder."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {
            **os.environ,
            "MEMVAULT_EMBEDDER": "hash",
            "MEMVAULT_BACKGROUND": "0",
            "NO_COLOR": "1",
        }
        self.env.pop("MEMVAULT_HOME", None)

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [EXE, "--home", str(self.home), *args],
            check=False,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
        )

    def json(self, *args: str, stdin: str | None = None) -> Any:
        done = self.run(*args, "--json", stdin=stdin)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def fails(self, code: int, *args: str) -> str:
        """Run a command that must fail with ``code``; returns its one-line error."""
        done = self.run(*args)
        assert done.returncode == code, (done.stdout, done.stderr)
        assert done.stderr.startswith("memvault: error: ")
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        return done.stderr


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home")


def files_under(folder: Path) -> dict[str, bytes | None]:
    """Every file below ``folder`` with its bytes (the database's only by name); the log,
    which records each failure on purpose, left out."""
    found: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name == ".memvault.lock" or path.name.endswith("-wal"):
            continue
        if "logs" in path.relative_to(folder).parts:
            continue
        if path.name.endswith("-shm"):
            continue
        database = path.name.startswith("memvault.db")
        found[path.relative_to(folder).as_posix()] = None if database else path.read_bytes()
    return found


def test_note_write_and_read(cli: Cli) -> None:
    made = cli.json(
        "note",
        "write",
        "ideas/launch-plan",
        "--title",
        "Launch plan",
        "--tag",
        "roadmap",
        "--tag",
        "q3",
        "--content",
        "# Goals\n\nShip the marmalade exporter.\n",
    )
    assert made["path"] == "ideas/launch-plan.md"
    assert made["id"]
    on_disk = cli.home / "vault" / "ideas" / "launch-plan.md"
    text = on_disk.read_text()
    assert text.startswith("---\n") and text.endswith("# Goals\n\nShip the marmalade exporter.\n")
    assert made["id"] in text

    read = cli.json("note", "read", "ideas/launch-plan")
    assert {k: read[k] for k in ("id", "path", "title", "tags", "body")} == {
        "id": made["id"],
        "path": "ideas/launch-plan.md",
        "title": "Launch plan",
        "tags": ["roadmap", "q3"],
        "body": "# Goals\n\nShip the marmalade exporter.\n",
    }
    assert cli.json("note", "read", "ideas/launch-plan.md")["id"] == made["id"]

    piped = cli.json("note", "write", "inbox/from-pipe", stdin="Piped body about quinces ✓\n")
    assert piped["path"] == "inbox/from-pipe.md" and piped["id"] != made["id"]
    assert cli.json("note", "read", "inbox/from-pipe")["body"] == "Piped body about quinces ✓\n"
    assert (cli.home / "vault" / "inbox" / "from-pipe.md").is_file()

    hits = cli.json("search", "marmalade", "--mode", "keyword")["hits"]
    assert [(h["kind"], h["location"]["path"]) for h in hits] == [("note", "ideas/launch-plan.md")]

    # Writing again replaces the body and keeps the id, title and tags.
    again = cli.json("note", "write", "ideas/launch-plan", "--content", "Ship it.")
    assert again["id"] == made["id"]
    reread = cli.json("note", "read", "ideas/launch-plan")
    assert (reread["title"], reread["tags"], reread["body"]) == (
        "Launch plan",
        ["roadmap", "q3"],
        "Ship it.\n",
    )


BODY = "# Intro\n\nhello world\n\n## Steps\n\none\ntwo\n\n## End\n\nbye world\n"


def test_note_edit_operations_and_count_guard(cli: Cli) -> None:
    cli.json("note", "write", "doc", "--content", BODY)

    def body() -> str:
        return str(cli.json("note", "read", "doc")["body"])

    assert cli.json("note", "edit", "doc", "--append", "appended line")["body"] == (
        BODY + "appended line\n"
    )
    cli.json("note", "edit", "doc", "--prepend", "prepended line")
    assert body() == "prepended line\n" + BODY + "appended line\n"

    cli.json("note", "edit", "doc", "--section", "Steps", "--content", "three\nfour")
    assert body() == (
        "prepended line\n# Intro\n\nhello world\n\n## Steps\n\nthree\nfour\n\n"
        "## End\n\nbye world\nappended line\n"
    )

    edited = cli.json("note", "edit", "doc", "--find", "hello", "--replace", "goodbye")["body"]
    assert "goodbye world" in edited and "hello" not in edited

    path = cli.home / "vault" / "doc.md"
    before = path.read_bytes()
    error = cli.fails(1, "note", "edit", "doc", "--find", "world", "--replace", "earth")
    assert "world" in error and "2" in error
    assert path.read_bytes() == before  # byte for byte

    cli.json("note", "edit", "doc", "--find", "world", "--replace", "earth", "--count", "2")
    edited = body()
    assert edited.count("earth") == 2 and "world" not in edited
    assert cli.fails(1, "note", "edit", "doc", "--find", "no such text", "--replace", "x")
    # An option that would be ignored is refused instead, and nothing is written.
    before = path.read_bytes()
    assert "--section" in cli.fails(1, "note", "edit", "doc", "--append", "x", "--content", "y")
    assert "--find" in cli.fails(1, "note", "edit", "doc", "--prepend", "x", "--replace", "y")
    assert path.read_bytes() == before
    hits = cli.json("search", "earth", "--mode", "keyword")["hits"]
    assert hits and {h["location"]["path"] for h in hits} == {"doc.md"}
    assert cli.json("search", "world", "--mode", "keyword")["hits"] == []


def test_note_move_delete_list_and_links(cli: Cli) -> None:
    plan = cli.json(
        "note",
        "write",
        "ideas/plan",
        "--title",
        "Launch plan",
        "--tag",
        "roadmap",
        "--content",
        "# Plan\n\nSee [[Budget sheet]] and [[ideas/risks|the risks]].\n",
    )
    budget = cli.json(
        "note", "write", "finance/budget", "--title", "Budget sheet", "--content", "Money."
    )
    cli.json("note", "write", "ideas/risks", "--tag", "roadmap", "--content", "Risky.")
    cli.json("note", "write", "misc/other", "--tag", "misc", "--content", "Other.")

    listed = cli.json("note", "list", "--tag", "roadmap")
    assert [n["path"] for n in listed["notes"]] == ["ideas/plan.md", "ideas/risks.md"]
    assert listed["notes"][0]["id"] == plan["id"] and listed["count"] == 2

    links = cli.json("note", "links", "ideas/plan")
    line = 1 + (cli.home / "vault" / "ideas" / "plan.md").read_text().splitlines().index(
        "See [[Budget sheet]] and [[ideas/risks|the risks]]."
    )
    assert [(x["resolved_path"], x["line"]) for x in links["links"]] == [
        ("finance/budget.md", line),
        ("ideas/risks.md", line),
    ]
    assert links["backlinks"] == []
    backlinks = cli.json("note", "links", "finance/budget")["backlinks"]
    assert [x["source_path"] for x in backlinks] == ["ideas/plan.md"]

    # Move: the file moves, links by title keep resolving, the old path is gone.
    moved = cli.json("note", "move", "finance/budget", "archive/budget-2024")
    assert (moved["path"], moved["id"]) == ("archive/budget-2024.md", budget["id"])
    assert not (cli.home / "vault" / "finance" / "budget.md").exists()
    assert (cli.home / "vault" / "archive" / "budget-2024.md").is_file()
    cli.fails(3, "note", "read", "finance/budget")
    links = cli.json("note", "links", "ideas/plan")["links"]
    assert links[0]["resolved_path"] == "archive/budget-2024.md"

    # Delete: the file and its search hits are gone, the link waits for a note again.
    assert cli.json("note", "delete", "ideas/risks") == {"deleted": "ideas/risks.md"}
    assert not (cli.home / "vault" / "ideas" / "risks.md").exists()
    roadmap = cli.json("note", "list", "--tag", "roadmap")["notes"]
    assert [n["path"] for n in roadmap] == ["ideas/plan.md"]
    assert cli.json("search", "Risky", "--mode", "keyword")["hits"] == []
    links = cli.json("note", "links", "ideas/plan")["links"]
    assert [x["resolved_path"] for x in links] == ["archive/budget-2024.md", None]
    cli.fails(3, "note", "delete", "ideas/risks")


def test_reindex_rebuilds_the_index_from_the_vault(cli: Cli) -> None:
    cli.json("note", "write", "alpha", "--content", "Alpha quartz links [[beta]].")
    cli.json("note", "write", "beta", "--content", "Beta basalt links [[alpha]].")
    one = cli.json("remember", "the granite quarry opens at dawn")["id"]
    two = cli.json("remember", "the marble quarry closes at dusk")["id"]
    three = cli.json("remember", "slate roofs last a century", "--kind", "lesson")["id"]
    cli.json("relate", one, two)
    cli.json("relate", three, one, "--relation", "derived_from")

    before = cli.json("reindex")
    # Two edges between memories, two links between notes.
    assert (before["notes"], before["memories"], before["edges"]) == (2, 3, 4)
    query = ("search", "quartz basalt quarry slate", "--mode", "keyword", "-k", "20")
    found = sorted((h["id"], h["content"]) for h in cli.json(*query)["hits"])
    assert len(found) == 5 and {one, two, three} <= {memory_id for memory_id, _ in found}

    for name in ("memvault.db", "memvault.db-wal", "memvault.db-shm"):
        (cli.home / name).unlink(missing_ok=True)
    assert not (cli.home / "memvault.db").exists()

    after = cli.json("reindex")
    assert {k: after[k] for k in ("notes", "memories", "edges")} == {
        "notes": 2,
        "memories": 3,
        "edges": 4,
    }
    assert after["problems"] == []
    assert sorted((h["id"], h["content"]) for h in cli.json(*query)["hits"]) == found
    assert cli.json("get", three)["kind"] == "lesson"
    neighbours = cli.json("neighbours", one)["neighbours"]
    assert {n["memory"]["id"] for n in neighbours} == {two, three}
    assert [x["source_path"] for x in cli.json("note", "links", "alpha")["backlinks"]] == [
        "beta.md"
    ]


def test_index_folder_wait_json_then_jobs_are_done(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "tool.py").write_text("def brew_kombucha():\n    return 'fizz'\n")
    (folder / "notes.md").write_text("# Notes\n\nKombucha needs a scoby.\n")
    (folder / "data.bin").write_bytes(b"\x00\x00binary")

    report = cli.json("index", str(folder), "--wait")
    assert report["files"] == 2 and report["chunks"] > 0
    assert report["indexed"] == 2 and report["problems"] == []
    assert report["skipped"] == [{"path": "data.bin", "reason": "binary"}]
    jobs = cli.json("jobs")
    assert (jobs["queued"], jobs["running"], jobs["failed"]) == (0, 0, 0)
    assert jobs["done"] >= report["chunks"]

    hits = cli.json("search", "brew_kombucha", "--mode", "vector")["hits"]
    assert str(folder / "tool.py") in {h["location"]["path"] for h in hits}
    hits = cli.json("search", "brew_kombucha", "--mode", "keyword")["hits"]
    assert [(h["kind"], h["location"]["line_start"], h["location"]["line_end"]) for h in hits] == [
        ("code", 1, 2)
    ]

    again = cli.json("index", str(folder))
    assert (again["indexed"], again["unchanged"], again["chunks"]) == (0, 2, 0)


def test_bad_input_fails_with_one_line_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    cli.json("init")
    outside = files_under(tmp_path)

    error = cli.fails(1, "note", "write", "../x", "--content", "y")
    assert "../x" in error
    assert files_under(tmp_path) == outside
    assert not (tmp_path / "home" / "x.md").exists() and not (tmp_path / "x.md").exists()
    assert cli.json("note", "list")["notes"] == []

    for bad in ("/tmp/abs-note", "memories/x", "a/../../x"):
        assert bad in cli.fails(1, "note", "write", bad, "--content", "y")
    assert files_under(tmp_path) == outside

    assert "missing.md" in cli.fails(3, "note", "read", "missing")
    assert "/no/such/dir" in cli.fails(1, "index", "/no/such/dir")
    assert cli.json("jobs")["index_runs"] == []
    assert cli.json("stats")["memories"] == 0


def test_stats_count_memories_notes_files_and_chunks_apart(cli: Cli, tmp_path: Path) -> None:
    for n in range(3):
        cli.json("remember", f"memory number {n}")
    for n in range(2):
        cli.json(
            "note", "write", f"n{n}", "--content", f"# Note {n}\n\n## A\n\none\n\n## B\n\ntwo\n"
        )
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "guide.md").write_text("# Guide\n\nread me\n", "utf-8")
    cli.json("index", str(folder))
    stats = cli.json("stats")
    assert (stats["memories"], stats["notes"], stats["files"]) == (3, 2, 1)
    assert stats["chunks"] >= 5 and stats["by_kind"] == {"fact": 3}
    assert "chunks" in cli.run("stats").stdout  # the table shows them too
