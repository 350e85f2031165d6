"""The same id on several lines of a JSONL source: the last line wins, import and verify agree
(issue 13, item 8). Run through the CLI as an operator would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.importers.run_cli import cli


def run_json(home: Path, *args: str, code: int = 0) -> Any:
    done = cli(home, *args, "--json")
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def contents(home: Path, query: str) -> list[str]:
    hits = run_json(home, "search", query, "--mode", "keyword")["hits"]
    return sorted(hit["content"] for hit in hits)


@pytest.mark.parametrize("batch_size", ["500", "1"])  # one batch, and the lines in different ones
def test_the_last_line_of_an_id_wins_and_verify_passes(tmp_path: Path, batch_size: str) -> None:
    home = tmp_path / "home"
    source = tmp_path / "records.jsonl"
    lines = [
        {"id": "n-1", "content": "The heron nests by the old mill"},
        {"id": "n-2", "content": "The otter sleeps under the bridge"},
        {"id": "n-1", "content": "The heron moved to the reed bed"},
    ]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))

    report = run_json(home, "import", "jsonl", str(source), "--batch-size", batch_size)
    assert (report["imported"], report["updated"], report["failed"]) == (2, 0, 0)
    assert report["total"] == 2
    assert report["duplicates"] == [{"id": "n-1", "lines": [1, 3], "kept": 3}]
    assert contents(home, "heron") == ["The heron moved to the reed bed"]

    checked = run_json(home, "verify", "jsonl", str(source))
    assert checked["ok"] is True, checked
    assert (checked["records"], checked["linked"], checked["differing"]) == (2, 2, [])
    assert checked["duplicates"] == [{"id": "n-1", "lines": [1, 3], "kept": 3}]

    again = run_json(home, "import", "jsonl", str(source), "--batch-size", batch_size)
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 2)
    status = run_json(home, "import", "jsonl", str(source), "--status")
    assert (status["source_records"], status["imported"], status["pending"]) == (2, 2, 0)
    assert contents(home, "heron") == ["The heron moved to the reed bed"]


def test_an_entity_twice_in_an_mcp_memory_graph_is_one_memory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    graph = tmp_path / "memory.jsonl"
    lines = [
        {"type": "entity", "name": "Ada", "entityType": "person", "observations": ["likes kites"]},
        {"type": "entity", "name": "Ada", "entityType": "person", "observations": ["flies drones"]},
    ]
    graph.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = run_json(home, "import", "mcp-memory", str(graph))
    assert (report["imported"], report["duplicates"]) == (
        1,
        [{"id": "Ada", "lines": [1, 2], "kept": 2}],
    )
    assert contents(home, "Ada") == ["Ada (person)\n- flies drones"]
    assert run_json(home, "verify", "mcp-memory", str(graph))["ok"] is True
