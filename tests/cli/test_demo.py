"""`memvault demo` runs end to end and shows what it claims (with the fast test embedder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from memvault.cli.demo import run_demo


def test_the_demo_finds_code_by_file_and_lines_and_rebuilds_from_the_vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).parents[2])  # the checkout: docs/ and src/memvault
    console = Console(record=True, width=250)
    run_demo(tmp_path / "demo", console=console)
    text = console.export_text()
    assert "memvault/content/markdown/paths.py:" in text and "def atomic_write" in text
    assert "nothing relevant to 'recipe for banana bread'" in text
    assert "memvault/content/chunking/walker.py:" in text
    assert "resolves to Backups.md" in text
    assert "different order': True; check: ok" in text
    assert "Session 2 starts from the context pack" in text
    handoff = text[text.index("## handoff") :]
    assert "Done: Aliases for snake_case" in handoff.split("## preferences")[0]
    assert "2 sessions" in text  # back after the rebuild
    assert (tmp_path / "demo" / "vault" / "decisions" / "storage.md").is_file()
