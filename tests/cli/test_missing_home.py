"""A mistyped home is an error on every command that only reads, and leaves nothing behind;
re-indexing a folder under another namespace asks for --move."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memvault.cli.app import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "command",
    [["stats"], ["search", "anything"], ["list"], ["jobs"], ["check"], ["context"]],
)
def test_a_read_on_a_home_that_does_not_exist_is_one_error_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    typo = tmp_path / "projcets" / "memvualt"
    code, out, err = run(capsys, "--home", str(typo), *command)
    assert code == 1 and out == ""
    assert err == (
        f"memvault: error: no vault at {typo}: check --home / MEMVAULT_HOME "
        "(memvault init creates one)\n"
    )
    assert not (tmp_path / "projcets").exists()


def test_a_read_on_a_missing_database_file_is_an_error_and_a_write_creates_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "nope" / "m.db"
    code, _, err = run(capsys, "--db", str(db), "stats")
    assert code == 1 and "no vault at" in err
    assert not (tmp_path / "nope").exists()
    code, _, err = run(capsys, "--db", str(db), "remember", "the kettle is descaled monthly")
    assert code == 0, err
    code, out, _ = run(capsys, "--db", str(db), "stats", "--json")
    assert code == 0 and json.loads(out)["memories"] == 1


def test_a_home_whose_index_was_deleted_is_still_a_vault(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "--home", str(home), "remember", "the kettle is descaled monthly")[0] == 0
    (home / "memvault.db").unlink()  # the folder is the truth: a read opens an empty index
    code, _, err = run(capsys, "--home", str(home), "stats")
    assert code == 0, err
    assert run(capsys, "--home", str(home), "reindex")[0] == 0
    code, out, _ = run(capsys, "--home", str(home), "stats", "--json")
    assert json.loads(out)["memories"] == 1


def test_indexing_a_folder_again_under_another_namespace_needs_move(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nthe walrus handbook\n")
    (docs / "b.md").write_text("# B\n\nthe narwhal handbook\n")
    assert run(capsys, "--home", str(home), "index", str(docs), "-n", "team")[0] == 0

    code, out, err = run(capsys, "--home", str(home), "index", str(docs), "-n", "archive")
    assert code == 1 and out == ""
    assert err == (
        f"memvault: error: 2 files of {docs} are indexed under namespace 'team': index them "
        "again with --move (move=true over MCP) to move their chunks to 'archive', or keep "
        "namespace 'team'\n"
    )
    search = ["--home", str(home), "search", "walrus", "--mode", "keyword", "--json"]
    code, out, _ = run(capsys, *search, "-n", "team")
    assert [h["namespace"] for h in json.loads(out)["hits"]] == ["team"]  # nothing moved

    code, out, err = run(capsys, "--home", str(home), "index", str(docs), "-n", "archive", "--move")
    assert code == 0, err
    assert "2 moved to archive" in out
    code, out, _ = run(capsys, *search)
    assert [h["namespace"] for h in json.loads(out)["hits"]] == ["archive"]
