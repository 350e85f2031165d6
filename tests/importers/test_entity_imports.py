"""An imported record's tags become entities (kind tag), as the Jarvis report's memory layer
makes them, whether the source gives a list or one comma-separated string; the text's own
entities come with them. Through ``memvault import`` from a JSONL file and a PostgreSQL table."""

from __future__ import annotations

import json
from pathlib import Path

import memvault
from memvault.core.entity_records import EntityKind
from memvault.importers.export import Exporter
from tests.importers.conftest import Database
from tests.importers.run_cli import cli


def tag_entities(home: Path) -> dict[str, list[str]]:
    """For each memory's text, the names of its tag entities."""
    with memvault.open(home, background=False) as vault:
        return {
            m.content: [e.name for e in m.entities or () if e.kind is EntityKind.TAG]
            for m in vault.list(limit=100)
        }


def imported(home: Path, *args: str) -> None:
    done = cli(home, "import", *args, "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    report = json.loads(done.stdout)
    assert report["failed"] == 0 and report["imported"] > 0, report


def test_jsonl_tags_as_a_list_or_a_string_become_entities(tmp_path: Path) -> None:
    source = tmp_path / "memories.jsonl"
    lines = [
        {"id": "1", "content": "Ana rolled back the deploy", "tags": ["deploy", "ops"]},
        {"id": "2", "content": "the cache is warm again", "tags": "cache, ops"},
        {"id": "3", "content": "Bob wrote #runbook for @carla"},
    ]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    home = tmp_path / "home"
    imported(home, "jsonl", str(source))
    assert tag_entities(home) == {
        "Ana rolled back the deploy": ["deploy", "ops"],
        "the cache is warm again": ["cache", "ops"],
        "Bob wrote #runbook for @carla": ["runbook"],
    }
    with memvault.open(home, background=False) as vault:
        ops = {m.content for m in vault.list(entities=["#ops"])}
        assert ops == {"Ana rolled back the deploy", "the cache is warm again"}
        assert [m.content for m in vault.list(entities=["@Carla"])] == [lines[2]["content"]]


def test_postgres_tags_as_text_or_an_array_become_entities(
    postgres: Database, tmp_path: Path
) -> None:
    table = postgres.create("id INTEGER PRIMARY KEY, body TEXT, tags TEXT, labels TEXT[]")
    postgres.insert(
        table,
        ["id", "body", "tags", "labels"],
        [
            (1, "Ana rolled back the deploy", "deploy, ops", ["x"]),
            (2, "the cache is warm again", None, ["cache", "ops"]),
        ],
    )
    by_text, by_array = tmp_path / "text", tmp_path / "array"
    common = ["postgres", postgres.url, "--table", table, "--id", "id", "--content", "body"]
    imported(by_text, *common, "--map", "tags=tags")
    imported(by_array, *common, "--map", "tags=labels")
    assert tag_entities(by_text) == {
        "Ana rolled back the deploy": ["deploy", "ops"],
        "the cache is warm again": [],
    }
    assert tag_entities(by_array) == {
        "Ana rolled back the deploy": ["x"],
        "the cache is warm again": ["cache", "ops"],
    }


def test_an_export_carries_entities_into_the_vault_it_restores(tmp_path: Path) -> None:
    """The export line holds the memory's entities, so the exact restore keeps them even in a
    vault whose own extractors would find none."""
    home, other = tmp_path / "home", tmp_path / "other"
    with memvault.open(home, background=False) as vault:
        written = vault.remember("Ana moved parseConfig into src/app/config.py", tags=["x"]).id
        expected = vault.get(written).entities
        exported = tmp_path / "export.jsonl"
        with exported.open("w") as out:
            Exporter(vault).jsonl(out)
    assert '"entities":{' in exported.read_text("utf-8")
    assert cli(other, "init", "--entities", "none").returncode == 0
    imported(other, "jsonl", str(exported))
    with memvault.open(other, background=False) as vault:
        assert vault.entity_kinds() == frozenset()
        assert vault.get(written).entities == expected
        fresh = vault.remember("Bob wrote loadConfig").id
        assert vault.get(fresh).entities == ()
