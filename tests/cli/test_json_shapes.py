"""--json the same way everywhere: lists wrapped in an object with their count, MCP's field
names, and errors as one JSON object on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memvault.cli.app import main


def run(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err


def ok(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run(home, capsys, *args, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, dict), args  # never a bare list
    return data  # type: ignore[no-any-return]


def test_lists_are_wrapped_alike_with_mcp_field_names(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = ok(home, capsys, "remember", "the deploy waits for approval")
    other = ok(home, capsys, "remember", "approval comes from the release manager")
    ok(home, capsys, "relate", made["id"], other["id"])
    ok(home, capsys, "note", "write", "plans/q3", "--content", "Ship it.")
    for args, field in (
        (("search", "approval"), "hits"),
        (("list",), "memories"),
        (("note", "list"), "notes"),
        (("neighbours", made["id"]), "neighbours"),
    ):
        data = ok(home, capsys, *args)
        assert isinstance(data[field], list) and data[field], args
        assert data["count"] == len(data[field]), args
    # The same names as the MCP tools: a chunk's hit says where it is, forget answers
    # {"forgotten": id}.
    source = home.parent / "src"
    source.mkdir()
    (source / "deploy.md").write_text("# Deploys\n\nThe deploy needs two approvals.\n")
    ok(home, capsys, "index", str(source))
    (chunk,) = [h for h in ok(home, capsys, "search", "two approvals")["hits"] if "where" in h]
    assert chunk["where"] == f"{source / 'deploy.md'}:1-3"
    assert ok(home, capsys, "forget", other["id"]) == {"forgotten": other["id"]}


def test_errors_are_json_on_stderr_under_json(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(home, capsys, "remember", "x")
    code, out, err = run(home, capsys, "get", "0190f7c4-0000-7000-8000-000000000000", "--json")
    assert (code, out) == (3, "")
    error = json.loads(err)
    assert error["kind"] == "not_found" and error["exit_code"] == 3
    assert "0190f7c4" in error["error"]
    code, _, err = run(home, capsys, "search", "x", "--min-score", "7", "--json")
    assert code == 2 and json.loads(err)["kind"] == "usage"
    code, _, err = run(home, capsys, "search", "x", "-k", "0")
    assert code == 2 and err.startswith("memvault: error:")  # people get a line of text


def test_tables_are_readable_at_80_columns(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "The staging deploy runs every Friday after the integration tests pass"
    made = ok(home, capsys, "remember", text, "--tag", "ops", "--namespace", "team")
    for args in (("list",), ("search", "staging deploy Friday"), ("search", "deploy", "--explain")):
        code, out, _ = run(home, capsys, *args)
        assert code == 0
        lines = out.splitlines()
        assert max(len(line) for line in lines) <= 80, args
        assert made["id"] in out, args  # whole, on one line: it can be copied
        if "--explain" not in args:
            assert "The staging deploy runs every Friday" in out, args  # not one word a line
