"""Import links survive a rebuild: they are in the memories' files, and ``reindex`` brings them
back, so a re-import after a rebuild updates changed records instead of duplicating them
(issue 13, item 7). Run through the CLI as an operator would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.importers.run_cli import cli


def run_json(home: Path, *args: str, code: int = 0) -> Any:
    done = cli(home, *args, "--json")
    assert done.returncode == code, done.stderr
    return json.loads(done.stdout)


def write_records(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def delete_database(home: Path) -> None:
    for name in ("memvault.db", "memvault.db-wal", "memvault.db-shm"):
        (home / name).unlink(missing_ok=True)


def test_reimport_after_a_rebuild_updates_instead_of_duplicating(tmp_path: Path) -> None:
    home = tmp_path / "home"
    source = tmp_path / "records.jsonl"
    records = [
        {"id": "k-1", "content": "The kestrel hunts over the meadow", "tags": ["birds"]},
        {"id": "k-2", "content": "The badger digs under the hedge", "namespace": "wild"},
    ]
    write_records(source, records)
    assert run_json(home, "import", "jsonl", str(source))["imported"] == 2
    files = sorted((home / "vault" / "memories").rglob("*.md"))
    assert len(files) == 2
    assert all("imported_from:" in f.read_text("utf-8") for f in files)
    export_before = cli(home, "export", "jsonl").stdout

    delete_database(home)
    rebuilt = run_json(home, "reindex")
    assert (rebuilt["memories"], rebuilt["problems"]) == (2, [])
    assert cli(home, "export", "jsonl").stdout == export_before  # byte for byte
    assert '"imports":[{"hash":' in export_before
    moved = tmp_path / "moved"
    (tmp_path / "export.jsonl").write_text(export_before)
    run_json(moved, "import", "jsonl", str(tmp_path / "export.jsonl"))
    assert cli(moved, "export", "jsonl").stdout == export_before  # the links move along
    assert run_json(moved, "import", "jsonl", str(source))["unchanged"] == 2
    status = run_json(home, "import", "jsonl", str(source), "--status")
    assert (status["imported"], status["pending"]) == (2, 0)

    records[0]["content"] = "The kestrel now hunts over the motorway verge"
    write_records(source, records)
    again = run_json(home, "import", "jsonl", str(source))
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 1, 1)
    memories = run_json(home, "list", "--limit", "50")
    assert sorted(m["content"] for m in memories["memories"]) == [
        "The badger digs under the hedge",
        "The kestrel now hunts over the motorway verge",
    ]
    checked = run_json(home, "verify", "jsonl", str(source))
    assert checked["ok"] is True, checked
    assert (checked["linked"], checked["missing"], checked["differing"]) == (2, [], [])

    # The updated link is in the file too: a second rebuild still knows the new record.
    delete_database(home)
    run_json(home, "reindex")
    assert run_json(home, "import", "jsonl", str(source))["unchanged"] == 2
    assert run_json(home, "verify", "jsonl", str(source))["ok"] is True


def test_a_broken_imported_from_entry_is_reported_with_its_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    source = tmp_path / "records.jsonl"
    write_records(source, [{"id": "k-1", "content": "The kestrel hunts over the meadow"}])
    run_json(home, "import", "jsonl", str(source))
    (memory_file,) = (home / "vault" / "memories").rglob("*.md")
    text = memory_file.read_text("utf-8")
    memory_file.write_text(text.replace("  id: k-1\n", ""), "utf-8")
    delete_database(home)
    problems = run_json(home, "reindex")["problems"]
    assert len(problems) == 1 and "imported_from" in problems[0]["message"]


def test_reindex_writes_links_into_files_made_before_files_carried_them(tmp_path: Path) -> None:
    home = tmp_path / "home"
    source = tmp_path / "records.jsonl"
    records = [{"id": "k-1", "content": "The kestrel hunts over the meadow"}]
    write_records(source, records)
    run_json(home, "import", "jsonl", str(source))
    (memory_file,) = (home / "vault" / "memories").rglob("*.md")
    text = memory_file.read_text("utf-8")
    old_style = text[: text.index("imported_from:")] + text[text.index("---\nThe kestrel") :]
    memory_file.write_text(old_style, "utf-8")  # as a vault from before this change has them

    assert run_json(home, "reindex")["problems"] == []  # the index still has the link
    assert memory_file.read_text("utf-8") == text  # and writes it into the file

    delete_database(home)
    run_json(home, "reindex")
    records[0]["content"] = "The kestrel hunts over the motorway verge now"
    write_records(source, records)
    again = run_json(home, "import", "jsonl", str(source))
    assert (again["imported"], again["updated"]) == (0, 1)
    assert [m["content"] for m in run_json(home, "list")["memories"]] == [records[0]["content"]]
