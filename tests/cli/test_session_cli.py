"""``memvault session …``, ``memvault context`` and ``memvault costs`` as scripts and people use
them: start → log → handoff → end → the next session's context pack, JSON contracts, and bad
input that is one error line, a non-zero exit, and nothing written."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import memvault
from memvault.core.session_records import MessageDraft
from memvault.embedding.tokens import compact, count_tokens
from tests.cli.test_cli import Cli

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture
def cli(home: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(home, capsys)


def stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def jsonl(path: Path, *lines: Any) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


# --- the whole flow --------------------------------------------------------------------------


def test_start_log_handoff_end_then_the_next_pack_holds_the_handoff(
    cli: Cli, tmp_path: Path
) -> None:
    decision = cli.json(
        "remember", "checkout caches cart_totals", "--kind", "decision", "-n", "shop"
    )
    first = cli.json("session", "start", "--project", "shop", "--agent", "claude", "--user", "ana")
    sid = first["session"]["id"]
    assert (first["session"]["status"], first["session"]["agent"]) == ("active", "claude")
    assert "context" not in first

    one = cli.json("session", "log", sid, "why is checkout slow?")
    assert one["logged"] == 1 and len(one["ids"]) == 1
    transcript = jsonl(
        tmp_path / "t.jsonl",
        {"role": "assistant", "content": "an N+1 query in cart_totals", "tokens": 9},
        "",
        {"content": "thanks", "created_at": "2026-01-31T12:00Z"},
    )
    many = cli.json(
        "session", "log", sid, "--file", str(transcript), "--cost", "sonnet:900:300:0.006"
    )
    assert (many["logged"], many["costs"]) == (2, 1)
    checkpoint = cli.json("session", "handoff", sid, "--done", "found the N+1")
    assert checkpoint["session_id"] == sid
    ended = cli.json(
        "session", "end", sid,
        "--done", "fixed the N+1 query in cart totals",
        "--stopped-at", "tests not run",
        "--next", "run the checkout tests",
        "--next", "deploy",
        "--question", "cache totals?",
        "--touched", decision["id"],
    )  # fmt: skip
    assert ended["session"]["status"] == "ended"
    assert ended["handoff"]["next_steps"] == ["run the checkout tests", "deploy"]
    assert ended["handoff"]["touched"] == [decision["id"]]

    messages = assert_shown(cli, sid)
    hits = cli.json("session", "search", "cart_totals", "--project", "shop")["hits"]
    assert hits[0]["id"] == messages[1]["id"] and hits[0]["session_id"] == sid

    second = cli.json(
        "session", "start", "-p", "shop", "--context", "--query", "checkout", "--budget", "600"
    )
    pack = second["context"]
    assert count_tokens(compact(pack)) <= 600
    assert pack["handoff"][0]["id"] == sid
    assert "fixed the N+1 query" in pack["handoff"][0]["text"]
    assert decision["id"] in [item["id"] for item in pack["recent"]]
    listed = cli.json("session", "list", "--project", "shop")
    assert [s["id"] for s in listed["sessions"]] == [second["session"]["id"], sid]
    assert [s["id"] for s in cli.json("session", "list", "--status", "ended")["sessions"]] == [sid]


def assert_shown(cli: Cli, sid: str) -> list[dict[str, Any]]:
    """``session show`` of the first session: its messages, both handoffs, its cost."""
    shown = cli.json("session", "show", sid)
    messages = shown["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "why is checkout slow?"),
        ("assistant", "an N+1 query in cart_totals"),
        ("user", "thanks"),
    ]
    assert messages[1]["tokens"] == 9 and messages[2]["created_at"].startswith("2026-01-31T12")
    assert [h["done"] for h in shown["handoffs"]] == [
        "found the N+1",
        "fixed the N+1 query in cart totals",
    ]
    assert shown["costs"] == [
        {"key": "sonnet", "calls": 1, "input_tokens": 900, "output_tokens": 300, "usd": 0.006}
    ]
    return list(messages)


def test_context_and_costs(cli: Cli) -> None:
    cli.json("remember", "tabs, not spaces", "--kind", "preference")
    sid = cli.json("session", "start", "-p", "shop")["session"]["id"]
    cli.json("session", "log", sid, "hi", "--cost", "ollama:qwen3:8b:10:5:0", "--cost", "s:1:2:0.5")
    cli.json("session", "end", sid, "--done", "said hi to @ana about parse_config")

    pack = cli.json("context", "--project", "shop", "--budget", "400")
    assert pack["handoff"][0]["id"] == sid and pack["preferences"][0]["text"] == "tabs, not spaces"
    explained = cli.json("context", "--project", "shop", "--explain")
    assert explained["tokens"] <= explained["budget"] == 2_000
    assert explained["sections"]["handoff"]["items"] == 1
    assert explained["sections"]["relevant"]["note"] == "no query given"
    assert explained["entities"] == {"mention": ["ana"], "identifier": ["parse_config"]}
    assert explained["sections"]["entities"]["items"] == 2
    code, out, _ = cli.run("context", "--project", "shop", "--explain")
    assert code == 0 and out.startswith('<memvault-context project="shop">')
    assert "## entities\nana (mention, 1), parse_config (identifier, 1)\n" in out
    assert "</memvault-context>" in out and "no query given" in out and "of 2,000 tokens" in out

    by_model = cli.json("costs", "--by", "model")
    assert {t["key"]: t["calls"] for t in by_model["totals"]} == {"ollama:qwen3:8b": 1, "s": 1}
    assert by_model["total"] == {"calls": 2, "input_tokens": 11, "output_tokens": 7, "usd": 0.5}
    assert cli.json("costs", "--session", sid)["totals"][0]["key"] == sid
    assert cli.json("costs", "--by", "project")["totals"][0]["key"] == "shop"
    assert cli.json("costs", "--since", "2999-01-01")["totals"] == []
    code, out, _ = cli.run("costs", "--by", "day")
    assert code == 0 and "total" in out and "0.5000" in out


def test_text_output_is_for_scripts_and_people(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = cli.run("session", "start", "--project", "shop", "--title", "Checkout")
    assert code == 0 and UUID.match(out.strip())  # `SID=$(memvault session start)` works
    sid = out.strip()
    stdin(monkeypatch, "from a pipe ✓\n".encode())
    assert cli.run("session", "log", sid) == (0, f"logged 1 message(s) to {sid}\n", "")
    assert cli.json("session", "show", sid)["messages"][0]["content"] == "from a pipe ✓"
    code, out, _ = cli.run("session", "list")
    assert code == 0 and sid in out and "active" in out and "Checkout" in out
    code, out, _ = cli.run("session", "show", sid)
    assert code == 0 and "from a pipe ✓" in out
    code, out, _ = cli.run("session", "start", "--project", "shop", "--context")
    lines = out.splitlines()
    assert code == 0 and UUID.match(lines[0]) and lines[1].startswith("<memvault-context")


def test_pause_resume_and_delete(cli: Cli) -> None:
    sid = cli.json("session", "start")["session"]["id"]
    assert cli.json("session", "pause", sid)["status"] == "paused"
    assert cli.json("session", "log", sid, "still allowed while paused")["logged"] == 1
    assert cli.json("session", "resume", sid)["status"] == "active"
    assert cli.json("session", "delete", sid) == {"deleted": sid}
    code, _, err = cli.run("session", "show", sid)
    assert code == 3 and f"no session with id {sid}" in err
    assert cli.json("session", "search", "allowed")["hits"] == []


def test_a_long_transcript_is_logged_in_batches(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("memvault.cli.session_log.MAX_BATCH", 3)
    sid = cli.json("session", "start")["session"]["id"]
    lines = [{"content": f"line {i}"} for i in range(8)]
    bad = jsonl(tmp_path / "bad.jsonl", *lines, {"content": "x", "tokens": -1})
    code, _, err = cli.run("session", "log", sid, "--file", str(bad))
    assert code == 1 and "bad.jsonl line 9: tokens must be a whole number" in err
    assert cli.json("session", "show", sid)["messages"] == []  # the first batches too
    logged = cli.json("session", "log", sid, "-f", str(jsonl(tmp_path / "ok.jsonl", *lines)))
    assert logged["logged"] == 8
    shown = cli.json("session", "show", sid)["messages"]
    assert [m["content"] for m in shown] == [f"line {i}" for i in range(8)]


def test_prune_reports_and_keeps_what_is_not_summarised(cli: Cli, home: Path) -> None:
    sid = cli.json("session", "start")["session"]["id"]
    with memvault.open(home) as vault:
        old = "2020-01-01T00:00:00Z"
        vault.sessions.log(
            sid,
            [
                MessageDraft("old and summarised", created_at=old, summarised=True),
                MessageDraft("old, never summarised", created_at=old),
            ],
        )
    preview = cli.json("session", "prune", "--dry-run")
    assert (preview["dry_run"], preview["deleted_messages"]) == (True, 1)
    assert len(cli.json("session", "show", sid)["messages"]) == 2
    done = cli.json("session", "prune")
    assert (done["dry_run"], done["deleted_messages"], done["archived_sessions"]) == (False, 1, [])
    kept = cli.json("session", "show", sid)["messages"]
    assert [m["content"] for m in kept] == ["old, never summarised"]
    code, out, _ = cli.run("session", "prune", "--dry-run")
    assert code == 0 and out.startswith("would archive 0 session(s), would delete 0")
    rules = cli.json(
        "session", "prune", "--archive-idle-days", "0", "--delete-summarised-days", "7"
    )
    assert rules["rules"] == {"archive_idle_days": 0, "delete_summarised_days": 7}
    assert cli.json("session", "prune", "--dry-run")["rules"] == rules["rules"]
    assert cli.json("sessions", "prune", "--dry-run")["dry_run"] is True  # the spelling


# --- bad input: one error line, a non-zero exit, nothing written -----------------------------


BAD_INPUT = [
    (["session", "log", "nope", "x"], 3, "no session with id nope"),
    (["session", "log", "{ended}", "x"], 1, "is ended: start a new session"),
    (["session", "log", "{sid}", "x", "--tokens", "-1"], 2, "--tokens"),
    (["session", "log", "{sid}", "x", "--role", "robot"], 2, "--role"),
    (["session", "log", "{sid}", "x", "--cost", "sonnet:-1:0:0"], 1, "input tokens must be"),
    (["session", "log", "{sid}", "x", "--cost", "sonnet:1:1:-2"], 1, "usd must be a finite"),
    (["session", "log", "{sid}", "x", "--cost", "sonnet:1:1:inf"], 1, "usd must be a finite"),
    (["session", "log", "{sid}", "x", "--cost", "sonnet"], 1, "--cost wants MODEL:IN:OUT:USD"),
    (["session", "log", "{sid}", "x", "--cost", ":1:1:1"], 1, "--cost wants"),
    (["session", "log", "{sid}", "x", "-f", "{file}"], 1, "TEXT or a --file"),
    (["session", "log", "{sid}", "-f", "{file}", "--tokens", "3"], 1, "--tokens counts one"),
    (["session", "log", "{sid}", "-f", "{missing}"], 1, "cannot read"),
    (["session", "log", "{sid}", "-f", "{broken}"], 1, "line 2: not JSON"),
    (["session", "log", "{sid}", "-f", "{unknown}"], 1, "line 1: unknown field 'colour'"),
    (["session", "log", "{sid}", "-f", "{empty}"], 1, "holds no messages"),
    (["session", "log", "{sid}", "   "], 1, "content is empty"),
    (["session", "handoff", "{sid}"], 1, "a handoff needs --done"),
    (["session", "handoff", "{sid}", "--done", " "], 1, "content is empty"),
    (["session", "end", "{sid}", "--next", "x"], 1, "a handoff needs --done"),
    (["session", "end", "{sid}", "--done", "x", "--touched", "x" * 65], 1, "not a memory id"),
    (["session", "end", "{ended}"], 1, "is ended already"),
    (["session", "pause", "{ended}"], 1, "is ended"),
    (["session", "show", "nope"], 3, "no session with id nope"),
    (["session", "delete", "nope"], 3, "no session with id nope"),
    (["session", "search", "x", "--session", "nope"], 3, "no session with id nope"),
    (["session", "list", "--status", "sleeping"], 2, "--status"),
    (["session", "start", "--query", "x"], 1, "add --context"),
    (["session", "start", "--context", "--budget", "10"], 2, "--budget"),
    (["session", "start", "--context", "--query", "bad \udcff"], 1, "not valid UTF-8"),
    (["session", "start", "--title", "two\nlines"], 1, "one line"),
    (["session", "start", "--project", "../x"], 1, "namespace"),
    (["session", "prune", "--dry-run", "--archive-idle-days", "3"], 1, "--dry-run previews"),
    (["session", "prune", "--delete-summarised-days", "-1"], 2, "--delete-summarised-days"),
    (["context", "--budget", "100001"], 2, "--budget"),
    (["context", "--session", "nope"], 3, "no session with id nope"),
    (["costs", "--by", "week"], 2, "--by"),
    (["costs", "--since", "yesterday"], 1, "not a date or time"),
]


def test_bad_input_is_one_error_line_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    """Every case against one vault (a vault per case would take a minute): what any of them
    wrote would show in the checks at the end."""
    sid = cli.json("session", "start", "-p", "shop")["session"]["id"]
    ended = cli.json("session", "start", "-p", "shop")["session"]["id"]
    cli.json("session", "end", ended)
    files = {
        "file": jsonl(tmp_path / "ok.jsonl", {"content": "ok"}),
        "missing": tmp_path / "missing.jsonl",
        "broken": jsonl(tmp_path / "broken.jsonl", {"content": "fine"}, "{not json"),
        "unknown": jsonl(tmp_path / "unknown.jsonl", {"content": "x", "colour": "red"}),
        "empty": jsonl(tmp_path / "empty.jsonl", "", "  "),
    }
    names = {"sid": sid, "ended": ended, **{k: str(v) for k, v in files.items()}}
    for args, code, message in BAD_INPUT:
        got, out, err = cli.run(*[a.format(**names) if "{" in a else a for a in args])
        assert got == code, (args, err)
        assert err.startswith("memvault: error: ") and message in err, (args, err)
        assert err.count("\n") == 1 and "Traceback" not in err and out == "", args
    for session in (sid, ended):
        shown = cli.json("session", "show", session)
        assert shown["messages"] == [] and shown["costs"] == []
    assert cli.json("session", "show", sid)["handoffs"] == []
    assert cli.json("session", "show", sid)["session"]["status"] == "active"
    assert cli.json("session", "list")["count"] == 2
    assert cli.json("session", "prune", "--dry-run")["rules"]["archive_idle_days"] == 30


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"broken \xff utf-8", "standard input is not valid UTF-8 (byte 7)"),
        (b"x" * 1_000_001, "content is 1,000,001 bytes; the limit for one memory is 1,000,000 ("),
        (b"{}\n\xfe", "standard input is not valid UTF-8 (byte 3)"),
    ],
)
def test_bad_standard_input_writes_nothing(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, data: bytes, message: str
) -> None:
    sid = cli.json("session", "start")["session"]["id"]
    stdin(monkeypatch, data)
    args = ["-f", "-"] if data.startswith(b"{") else ["-"]
    code, out, err = cli.run("session", "log", sid, *args)
    assert (code, out) == (1, "")
    assert err.startswith(f"memvault: error: {message}") and err.count("\n") == 1
    assert cli.json("session", "show", sid)["messages"] == []


# --- a real process --------------------------------------------------------------------------


def test_a_session_through_real_processes(tmp_path: Path) -> None:
    env = {**os.environ, "MEMVAULT_HOME": str(tmp_path / "h"), "MEMVAULT_EMBEDDER": "hash"}

    def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "memvault.cli.app", *args],
            check=False,
            input=stdin,
            capture_output=True,
            env=env,
            timeout=60,
        )

    started = run("session", "start", "--project", "shop")
    assert started.returncode == 0, started.stderr
    sid = started.stdout.decode().strip()
    assert UUID.match(sid)
    logged = run("session", "log", sid, "-", "--role", "assistant", stdin="piped ✓".encode())
    assert logged.returncode == 0, logged.stderr
    bad = run("session", "log", sid, "-", stdin=b"broken \xff utf-8")
    assert bad.returncode == 1
    assert bad.stderr.decode() == "memvault: error: standard input is not valid UTF-8 (byte 7)\n"
    assert run("session", "end", sid, "--done", "piped a message").returncode == 0
    pack = json.loads(run("context", "--project", "shop", "--json").stdout)
    assert pack["handoff"][0]["id"] == sid and "piped a message" in pack["handoff"][0]["text"]
    with memvault.open(tmp_path / "h") as vault:
        logged_messages = vault.sessions.messages(sid)
    assert [(m.role.value, m.content) for m in logged_messages] == [("assistant", "piped ✓")]


def test_session_search_brings_the_answer_said_next_to_the_question(cli: Cli) -> None:
    sid = cli.json("session", "start", "--project", "trips")["session"]["id"]
    said = [
        cli.json("session", "log", sid, text, "--role", role)["ids"][0]
        for text, role in [
            ("did you ever take the kids camping?", "user"),
            ("yes, last week, up in the mountains by the lake", "assistant"),
            ("that sounds lovely", "user"),
            ("the drive back took six hours", "assistant"),
            ("my sister starts a new job in Lisbon", "user"),
        ]
    ]
    hits = cli.json("session", "search", "camping kids", "--project", "trips")["hits"]
    # The answer shares no word with the query: the turn before it brings it in.
    assert [hit["id"] for hit in hits][:2] == said[:2]
    assert said[4] not in [hit["id"] for hit in hits]  # three turns away
