"""``memvault note write`` gives every note a namespace in its front matter, and
``search --namespace`` finds it, also after the database is rebuilt (issue 13, item 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_vault_cli import Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home")


def test_notes_have_a_namespace_and_filtered_search_finds_them(cli: Cli) -> None:
    plain = cli.json("note", "write", "ops/runbook", "--content", "Restart the quokka service.")
    assert plain["namespace"] == "default"
    assert plain["front_matter"]["namespace"] == "default"
    ops = cli.json(
        "note", "write", "ops/pager", "--content", "The wombat pager rotates.", "-n", "ops"
    )
    assert (ops["namespace"], ops["front_matter"]["namespace"]) == ("ops", "ops")
    assert cli.json("note", "read", "ops/pager")["namespace"] == "ops"

    def contents(query: str, namespace: str) -> list[str]:
        found = cli.json("search", query, "--namespace", namespace, "--mode", "keyword")
        return [hit["content"] for hit in found["hits"]]

    assert contents("wombat pager", "ops") == ["The wombat pager rotates."]
    assert contents("wombat pager", "default") == []
    assert contents("quokka service", "default") == ["Restart the quokka service."]
    # A rewrite without --namespace keeps the note's namespace.
    cli.json("note", "write", "ops/pager", "--content", "The wombat pager is retired.")
    assert contents("wombat retired", "ops") == ["The wombat pager is retired."]

    for name in ("memvault.db", "memvault.db-wal", "memvault.db-shm"):
        (cli.home / name).unlink(missing_ok=True)
    cli.json("reindex")
    assert contents("wombat retired", "ops") == ["The wombat pager is retired."]
    assert contents("quokka service", "default") == ["Restart the quokka service."]
