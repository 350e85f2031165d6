"""The command line as scripts and people use it: JSON contracts, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from memvault.cli.app import main


class Cli:
    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.home = home
        self.capsys = capsys

    def run(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--home", str(self.home), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> dict:  # type: ignore[type-arg]
        code, out, err = self.run(*args, "--json")
        assert code == 0, err
        return json.loads(out)  # type: ignore[no-any-return]


@pytest.fixture
def cli(home: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(home, capsys)


def test_remember_search_get_forget_contract(cli: Cli) -> None:
    made = cli.json(
        "remember",
        "parse_config reads TOML",
        "--kind",
        "fact",
        "--namespace",
        "proj",
        "--tag",
        "code",
        "--tag",
        "config",
    )
    assert made["created"] is True
    again = cli.json("remember", "parse_config reads TOML", "--namespace", "proj")
    assert again == {**made, "created": False}

    result = cli.json("search", "parseConfig", "-k", "10")
    (hit,) = result["hits"]
    assert hit["id"] == made["id"]
    assert hit["content"] == "parse_config reads TOML"
    assert (hit["kind"], hit["namespace"]) == ("fact", "proj")
    assert sorted(hit["tags"]) == ["code", "config"]
    assert hit["score"] > 0

    got = cli.json("get", made["id"])
    assert got["id"] == made["id"] and got["access_count"] == 1

    code, _, _ = cli.run("forget", made["id"])
    assert code == 0
    assert cli.json("stats")["memories"] == 0


def test_stats_and_check_json(cli: Cli) -> None:
    cli.json("remember", "one")
    cli.json("remember", "two", "--kind", "lesson")
    stats = cli.json("stats")
    assert (stats["memories"], stats["by_kind"]) == (2, {"fact": 1, "lesson": 1})
    check = cli.json("check")
    assert check["ok"] is True and {c["name"] for c in check["checks"]} >= {"sqlite_integrity"}


def test_graph_validation_and_supersede_commands(cli: Cli) -> None:
    a = cli.json("remember", "old staging host alpha")["id"]
    b = cli.json("remember", "new staging host beta", "--supersedes", a)["id"]
    assert cli.json("get", a)["superseded_by"] == b
    assert [h["id"] for h in cli.json("search", "staging")["hits"]] == [b]
    assert len(cli.json("search", "staging", "--all")["hits"]) == 2
    c = cli.json("remember", "beta runs on port 8080")["id"]
    cli.json("relate", c, b, "--relation", "derived_from")
    neighbours = cli.json("neighbours", b)["neighbours"]
    assert {n["memory"]["id"] for n in neighbours} == {a, c}
    event = cli.json("validate", c, "refute", "--note", "port is 9090")
    assert event["confidence_after"] == pytest.approx(0.25)


def test_remember_superseding_an_unknown_id_writes_nothing(cli: Cli) -> None:
    code, out, err = cli.run("remember", "the new staging host", "--supersedes", "no-such-id")
    assert code == 3 and out == ""
    assert err == "memvault: error: no memory with id no-such-id\n"
    assert cli.json("list")["count"] == 0
    assert cli.json("search", "staging")["hits"] == []


def test_list_and_update(cli: Cli) -> None:
    a = cli.json("remember", "first", "--tag", "x")["id"]
    cli.json("remember", "second")
    assert [m["content"] for m in cli.json("list")["memories"]] == ["second", "first"]
    assert [m["id"] for m in cli.json("list", "--tag", "x")["memories"]] == [a]
    updated = cli.json("update", a, "--content", "first, corrected", "--importance", "0.9")
    assert (updated["content"], updated["importance"]) == ("first, corrected", 0.9)


def test_remember_reads_stdin(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("from stdin ✓\n".encode())))
    made = cli.json("remember", "-")
    assert cli.json("get", made["id"])["content"] == "from stdin ✓"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["get", "no-such-id"], 3, "no memory with id no-such-id"),
        (["forget", "no-such-id"], 3, "no memory with id"),
        (["remember", ""], 1, "content is empty"),
        (["remember", "x", "--importance", "2"], 2, "--importance"),
        (["remember", "x", "--metadata", "{not json"], 1, "metadata is not valid JSON"),
        (["remember", "x", "--kind", "Bad Kind!"], 1, "kind 'Bad Kind!' is not allowed"),
        (["search", "x", "--since", "yesterday"], 1, "not a date or time"),
        (["validate", "some-id", "maybe"], 2, "maybe"),
        (["update", "some-id"], 1, "nothing to update"),
        (["no-such-command"], 2, "No such command"),
        (["search"], 2, "Missing argument"),
    ],
)
def test_errors_are_one_line_with_exit_codes(
    cli: Cli, args: list[str], code: int, message: str
) -> None:
    cli.json("remember", "keep me")
    got, _, err = cli.run(*args)
    assert got == code
    assert err.startswith("memvault: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert cli.json("stats")["memories"] == 1  # nothing written, nothing lost


def test_home_from_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMVAULT_HOME", str(tmp_path / "envhome"))
    assert main(["remember", "via env", "--json"]) == 0
    assert (tmp_path / "envhome" / "memvault.db").exists()
    capsys.readouterr()
    assert main(["--db", str(tmp_path / "other.db"), "init", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["db"] == str(tmp_path / "other.db")


def test_installed_console_script_end_to_end(tmp_path: Path) -> None:
    exe = shutil.which("memvault", path=str(Path(sys.executable).parent)) or "memvault"
    env = {**os.environ, "MEMVAULT_HOME": str(tmp_path / "h")}

    def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [exe, *args], check=False, input=stdin, capture_output=True, env=env, timeout=60
        )

    made = run("remember", "The deploy script is scripts/deploy_prod.sh", "--json")
    assert made.returncode == 0, made.stderr
    memory_id = json.loads(made.stdout)["id"]
    found = json.loads(run("search", "deployProd", "--json").stdout)
    assert [h["id"] for h in found["hits"]] == [memory_id]
    bad = run("remember", "-", stdin=b"broken \xff utf-8")
    assert bad.returncode == 1
    assert bad.stderr.decode() == "memvault: error: standard input is not valid UTF-8 (byte 7)\n"
    assert json.loads(run("check", "--json").stdout)["ok"] is True
