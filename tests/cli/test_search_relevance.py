"""memvault search tells a person and a script when nothing relevant was found."""

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


def test_search_says_nothing_relevant_and_honours_min_score(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for text in ("The staging deploy runs every Friday", "Postgres is backed up nightly"):
        assert run(home, capsys, "remember", text)[0] == 0
    code, out, _ = run(home, capsys, "search", "staging deploy Friday")
    assert code == 0 and "nothing relevant" not in out and "staging deploy" in out
    code, out, _ = run(home, capsys, "search", "Friday football scores")
    assert code == 0 and "weak" in out and "nothing relevant" in out

    code, out, _ = run(home, capsys, "search", "Friday football scores", "--json")
    found = json.loads(out)
    assert found["nothing_relevant"] is True
    assert all(hit["weak"] for hit in found["hits"]) and found["hits"]
    off = ("search", "Friday football scores")
    code, out, _ = run(home, capsys, *off, "--min-score", "0.5", "--json")
    assert json.loads(out)["hits"] == []
    code, out, _ = run(home, capsys, "search", "staging deploy Friday", "--min-score", "0.5")
    assert code == 0 and "staging deploy" in out and "Postgres" not in out

    code, _, err = run(home, capsys, "search", "x", "--min-score", "3")
    assert code != 0 and "min-score" in err and "Traceback" not in err
