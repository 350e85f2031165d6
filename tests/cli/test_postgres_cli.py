"""The command line on a PostgreSQL store: the same commands, unchanged, with ``--db URL``.

A real server (the one `.ci/run` starts), a schema per test; DB-only and with a home whose
Markdown folder goes with the server store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memvault.cli.app import main

WORDS = [  # one word of its own per imported record, so each is found by its own text
    "bcdfghjklmnpqrstvwxz"[n % 20] + "aeiou"[n % 5] + "bcdfghjklmnpqrstvwxz"[n // 20] + "ora"
    for n in range(30)
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def data(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_a_db_only_vault_on_postgresql_remembers_finds_relates_and_checks(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", postgres_url]
    ready = data(capsys, *db, "init")
    assert ready["db"] == postgres_url and ready["vault"] is None
    first = data(capsys, *db, "remember", "parseConfig reads the TOML file", "--tag", "code")
    second = data(capsys, *db, "remember", "the deploy runs on Fridays")
    found = data(capsys, *db, "search", "parse_config", "--mode", "keyword")
    assert [hit["id"] for hit in found["hits"]] == [first["id"]]
    data(capsys, *db, "relate", second["id"], first["id"], "--relation", "depends_on")
    near = data(capsys, *db, "neighbours", first["id"])
    assert [n["memory"]["id"] for n in near["neighbours"]] == [second["id"]]
    got = data(capsys, *db, "get", first["id"])
    assert got["tags"] == ["code"] and got["content"] == "parseConfig reads the TOML file"
    stats = data(capsys, *db, "stats")
    assert stats["memories"] == 2 and stats["edges"] == 1
    checked = data(capsys, *db, "check")
    assert checked["ok"] is True, checked


def test_a_home_keeps_its_markdown_folder_over_a_postgresql_store(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    both = ["--home", str(home), "--db", postgres_url]
    ready = data(capsys, *both, "init")
    assert ready["vault"] == str(home / "vault")
    made = data(capsys, *both, "remember", "the folder works the same over either engine")
    files = list((home / "vault" / "memories").rglob(f"{made['id']}.md"))
    assert len(files) == 1 and "either engine" in files[0].read_text()
    # The file is the truth: edited by hand, the next command over the server store sees it.
    files[0].write_text(files[0].read_text().replace("either engine", "both engines"))
    data(capsys, *both, "reindex", "--changed")
    assert data(capsys, *both, "get", made["id"])["content"].endswith("both engines")


def test_an_unreachable_server_is_one_line_and_a_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "--db", "postgresql://postgres@127.0.0.1:9/none", "stats")
    assert code != 0 and out == ""
    assert err.strip().count("\n") == 0 and "not reachable" in err, err


def test_import_verify_and_backup_work_on_a_postgresql_store(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", postgres_url]
    source = tmp_path / "notes.jsonl"
    source.write_text(
        "".join(
            json.dumps(
                {"id": f"n{i}", "content": f"the {word} okapi_{i} fact", "tags": "zoo,import"}
            )
            + "\n"
            for i, word in enumerate(WORDS)
        )
    )
    imported = data(capsys, *db, "import", "jsonl", str(source), "--wait", "--verify")
    assert imported["imported"] == 30 and imported["ok"] is True, imported
    again = data(capsys, *db, "verify", "jsonl", str(source))
    assert again["ok"] is True
    hits = data(capsys, *db, "search", "okapi_7", "--mode", "keyword")["hits"]
    assert hits[0]["content"] == f"the {WORDS[7]} okapi_7 fact" and hits[0]["tags"] == [
        "import",
        "zoo",
    ]
    made = data(capsys, *db, "backup", str(tmp_path / "backups"))
    assert made["counts"]["memories"] == 30, made
    code, _, err = run(capsys, *db, "restore", made["path"])
    assert code != 0 and "memvault copy HOME URL" in err
