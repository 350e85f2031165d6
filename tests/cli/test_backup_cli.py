"""memvault backup and restore as a user runs them: output, exit codes, one-line refusals."""

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


def test_backup_verify_restore_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, dest = str(tmp_path / "home"), tmp_path / "backups"
    assert run(capsys, "--home", home, "remember", "Alice prefers green tea")[0] == 0
    assert run(capsys, "--home", home, "note", "write", "plan", "--content", "# Plan")[0] == 0

    code, out, _ = run(capsys, "--home", home, "backup", str(dest), "--json")
    assert code == 0
    made = json.loads(out)
    assert made["counts"]["memories"] == 1 and made["counts"]["notes"] == 1
    assert made["mode"] == "vault" and Path(made["path"]).parent == dest

    code, out, _ = run(capsys, "backup", "--verify", made["path"], "--json")
    assert code == 0 and json.loads(out)["ok"] is True

    code, _, err = run(capsys, "--home", home, "restore", made["path"])
    assert code == 1 and err.count("\n") == 1 and "--force" in err

    other = str(tmp_path / "other")
    code, out, _ = run(capsys, "restore", made["path"], "--to", other, "--json")
    assert code == 0 and json.loads(out)["check"] == "ok"
    code, out, _ = run(capsys, "--home", other, "search", "green tea", "--json")
    assert [h["content"] for h in json.loads(out)["hits"]][:1] == ["Alice prefers green tea"]


def test_a_tampered_backup_fails_verify_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, dest = str(tmp_path / "home"), tmp_path / "backups"
    run(capsys, "--home", home, "remember", "x")
    code, out, _ = run(capsys, "--home", home, "backup", str(dest), "--compress", "--json")
    archive = Path(json.loads(out)["path"])
    assert archive.name.endswith(".tar.gz")
    archive.write_bytes(archive.read_bytes()[:-200])
    code, _, err = run(capsys, "backup", "--verify", str(archive))
    assert code == 1 and err.count("\n") == 1 and "not a readable backup archive" in err


def test_retention_options_prune_and_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, dest = str(tmp_path / "home"), tmp_path / "backups"
    run(capsys, "--home", home, "remember", "x")
    for _ in range(3):
        assert run(capsys, "--home", home, "backup", str(dest))[0] == 0
    code, out, _ = run(capsys, "--home", home, "backup", str(dest), "--keep-last", "2")
    assert code == 0 and "pruned 2" in out
    assert len(list(dest.iterdir())) == 2


def test_restore_never_replaces_a_file_that_is_not_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "solo.db"
    run(capsys, "--db", str(db), "remember", "x")
    code, out, _ = run(capsys, "--db", str(db), "backup", str(tmp_path / "b"), "--json")
    backup = json.loads(out)["path"]
    precious = tmp_path / "precious.txt"
    precious.write_text("not a database\n")
    code, _, err = run(capsys, "restore", backup, "--to", str(precious), "--force")
    assert code == 1 and "not a memvault database" in err
    assert precious.read_text() == "not a database\n"
