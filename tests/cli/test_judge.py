"""`memvault judge` through a real terminal (pexpect), and `memvault gold`: answers are on disk
before the next result shows, a killed judge resumes at the next result, undo asks again, and
the preview writes nothing."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pexpect
import pytest

import memvault
from memvault.cli.app import main
from memvault.evaluation.gold import GoldSet, Verdict

TOPICS = ["green tea", "coffee beans", "tea ceremony", "python parser", "release notes"]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """Five memories with vectors and two gold queries: each query pools all five (10 results)."""
    home = tmp_path / "home"
    with memvault.open(home, background=False) as vault:
        for text in TOPICS:
            vault.remember(text)
        vault.wait_for_jobs()
    assert main(["--home", str(home), "gold", "add", "tea", "parser"]) == 0
    return home


def spawn(home: Path) -> pexpect.spawn:
    env = {**os.environ, "MEMVAULT_EMBEDDER": "hash", "MEMVAULT_BACKGROUND": "0"}
    return pexpect.spawn(
        sys.executable,
        ["-m", "memvault.cli.app", "--home", str(home), "judge"],
        env=env,
        encoding="utf-8",
        timeout=60,
    )


def answer(child: pexpect.spawn, number: int, key: str) -> None:
    child.expect(f"{number} of 10")
    child.expect(r"\[q\]uit > ")
    child.sendline(key)


def judgments(home: Path) -> list[dict[str, object]]:
    path = home / "gold" / "judgments.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_killed_judge_resumes_at_the_next_result_with_every_answer_kept(home: Path) -> None:
    child = spawn(home)
    for number in range(1, 6):
        answer(child, number, "y" if number % 2 else "n")
    child.expect("6 of 10")  # the 5th answer is taken: the next result is on screen
    child.kill(signal.SIGKILL)
    child.close(force=True)
    kept = judgments(home)
    assert [line["verdict"] for line in kept] == ["relevant", "not_relevant"] * 2 + ["relevant"]

    again = spawn(home)
    again.expect(r"(\d+) of 10")
    assert again.match.group(1) == "6"  # resumes at the 6th: nothing asked twice
    again.expect(r"\[q\]uit > ")
    again.sendline("q")
    again.expect("stopped: 5 of 10 judged")
    again.expect(pexpect.EOF)
    assert len(judgments(home)) == 5


def test_undo_takes_the_last_answer_back_and_asks_it_again(home: Path) -> None:
    child = spawn(home)
    answer(child, 1, "y")
    answer(child, 2, "u")
    child.expect("undone: relevant")
    answer(child, 1, "n")  # the same result, asked again
    answer(child, 2, "s")
    answer(child, 3, "q")
    child.expect(pexpect.EOF)
    lines = judgments(home)
    assert [line.get("verdict", "undo") for line in lines] == [
        "relevant",
        "undo",
        "not_relevant",
        "skipped",
    ]
    standing = GoldSet(home / "gold").answers()
    assert sorted(standing.values()) == sorted([Verdict.NOT_RELEVANT, Verdict.SKIPPED])


def test_the_preview_shows_what_would_be_judged_and_writes_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = (home / "gold" / "queries.yaml").read_bytes()
    capsys.readouterr()
    assert main(["--home", str(home), "gold", "preview"]) == 0
    out = capsys.readouterr().out
    assert "nothing was written" in out and "10 results to judge" in out
    assert main(["--home", str(home), "gold", "preview", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["written"] is False and shown["count"] == 10
    assert not (home / "gold" / "judgments.jsonl").exists()
    assert (home / "gold" / "queries.yaml").read_bytes() == queries


def test_gold_queries_are_a_readable_file_added_to_without_duplicates(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "more.txt"
    listing.write_text("# from the team's notes\ntea\n\nrelease  notes\n")
    capsys.readouterr()
    assert main(["--home", str(home), "gold", "import", str(listing), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"added": ["release notes"], "count": 3}
    text = (home / "gold" / "queries.yaml").read_text()
    assert "- tea\n- parser\n- release notes\n" in text

    (home / "gold" / "queries.yaml").write_text("queries: [unclosed\n")
    code = main(["--home", str(home), "gold", "list"])
    assert code == 1 and "not valid YAML" in capsys.readouterr().err
    empty = tmp_path / "empty"
    assert main(["--home", str(empty), "remember", "x"]) == 0
    assert main(["--home", str(empty), "judge"]) == 1
    assert "no gold queries yet" in capsys.readouterr().err
