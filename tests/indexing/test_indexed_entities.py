"""Chunks of files indexed with ``memvault index PATH`` get entities like any memory, so a
search by entity reaches code and documents outside the vault."""

from __future__ import annotations

from pathlib import Path

from memvault.service.vault import Vault


def test_indexed_code_and_documents_are_found_by_entity(vault: Vault, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "config.py").write_text(
        "def parse_config(path):\n    return load_settings(path)\n", "utf-8"
    )
    (project / "NOTES.md").write_text("# Notes\n\nAna rewrote parseConfig for #12.\n", "utf-8")
    vault.index_path(project)
    found = vault.list(entities=["parseConfig"], include_chunks=True)
    assert {m.location.path.rsplit("/", 1)[-1] for m in found if m.location} == {
        "config.py",
        "NOTES.md",
    }
    hits = vault.search("rewrote", entities=["#12"], mode="keyword")
    assert [h.memory.location.path.rsplit("/", 1)[-1] for h in hits if h.memory.location] == [
        "NOTES.md"
    ]
    assert vault.list(entities=["parseConfig"]) == []  # chunks only when asked for
