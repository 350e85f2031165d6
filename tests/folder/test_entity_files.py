"""A memory's entities live in its file: ``reindex`` brings them back exactly, and a person adds
or removes one by hand (docs/entities.md).

The rule a person relies on: the ``entities:`` list in a file is the truth when it is there, so
an edited text keeps the list as the person left it; a file without the list has its entities
extracted from text and tags, as a new memory would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

import memvault
from memvault.core.entity_records import EntityKind
from memvault.service.vault import Vault
from tests.folder.test_watcher import LIMIT, within

EXE = shutil.which("memvault", path=str(Path(sys.executable).parent)) or "memvault"


def memory_file(vault: Vault, memory_id: str) -> Path:
    assert vault.folder is not None
    (found,) = (vault.folder / "memories").rglob(f"{memory_id}.md")
    return found


def front_matter(path: Path) -> dict[str, object]:
    text = path.read_text("utf-8")
    return dict(yaml.safe_load(text.split("---\n")[1]))


def edit_front_matter(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, text
    path.write_text(text.replace(old, new, 1), "utf-8")


def every_entity(vault: Vault) -> dict[str, object]:
    return {
        m.id: m.entities
        for m in vault.list(include_superseded=True, include_chunks=True, limit=1000)
    }


def test_reindex_after_deleting_the_database_restores_every_entity(home: Path) -> None:
    with memvault.open(home, background=False) as vault:
        plain = vault.remember("Ana Lopez moved parseConfig into src/app/config.py", tags=["x"])
        vault.remember("Bob fixed #42 in v2.3.1, thanks @carla")
        vault.update(plain.id, content="Ana Lopez moved parse_config into src/app/config.py")
        vault.notes.write("plans/q3.md", "# Q3\n\nDana owns the loadConfig rewrite.\n")
        edited = vault.remember("Erin reviewed the HTTP client").id
        path = memory_file(vault, edited)
        edit_front_matter(path, "  - Erin\n", "  - Erin\n  - Frank Ocean\n")  # a hand edit
        assert vault.sync().memories == 1
        before = every_entity(vault)
    assert len(before) == 4 and all(before.values())
    assert ("franko cean" not in str(before)) and "Frank Ocean" in str(before[edited])
    for name in ("memvault.db", "memvault.db-wal", "memvault.db-shm"):
        (home / name).unlink(missing_ok=True)
    env = {**os.environ, "MEMVAULT_EMBEDDER": "hash", "MEMVAULT_BACKGROUND": "0"}
    command = [EXE, "--home", str(home), "reindex"]
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    with memvault.open(home, background=False) as vault:
        assert every_entity(vault) == before
        assert [m.id for m in vault.list(entities=["Frank Ocean"])] == [edited]


def test_an_entity_added_or_removed_by_hand_is_picked_up_by_sync(vault: Vault) -> None:
    memory_id = vault.remember("Ana asked about parseConfig").id
    path = memory_file(vault, memory_id)
    assert front_matter(path)["entities"] == {"identifier": ["parseConfig"], "name": ["Ana"]}
    edit_front_matter(path, "  identifier:\n  - parseConfig\n  name:\n", "  name:\n  - Bob\n")
    assert vault.sync().memories == 1
    found = vault.get(memory_id).entities
    assert found is not None and [(e.kind, e.name) for e in found] == [
        (EntityKind.NAME, "Bob"),
        (EntityKind.NAME, "Ana"),
    ]
    assert [m.id for m in vault.list(entities=["bob"])] == [memory_id]
    assert vault.list(entities=["parse_config"]) == []


def test_the_list_in_the_file_wins_over_an_edited_text_and_without_it_they_are_extracted(
    vault: Vault,
) -> None:
    memory_id = vault.remember("Ana asked about parseConfig").id
    path = memory_file(vault, memory_id)
    edit_front_matter(path, "Ana asked about parseConfig", "Ana asked about loadConfig")
    vault.sync()
    assert vault.get(memory_id).content == "Ana asked about loadConfig"
    assert [m.id for m in vault.list(entities=["parseConfig"])] == [memory_id]  # as listed
    text = path.read_text("utf-8")
    start = text.index("entities:")
    end = text.index("importance:")
    path.write_text(text[:start] + text[end:], "utf-8")  # the list taken out: extract again
    vault.sync()
    assert [m.id for m in vault.list(entities=["load_config"])] == [memory_id]
    assert vault.list(entities=["parseConfig"]) == []
    assert "entities" not in front_matter(path)  # written into the file on the next write
    vault.update(memory_id, importance=0.7)
    assert front_matter(path)["entities"] == {"identifier": ["loadConfig"], "name": ["Ana"]}


def test_an_unknown_kind_is_a_problem_with_file_and_line_and_changes_nothing(
    vault: Vault,
) -> None:
    memory_id = vault.remember("Ana asked about parseConfig").id
    path = memory_file(vault, memory_id)
    edit_front_matter(path, "  name:\n", "  person:\n")
    report = vault.sync()
    [problem] = report.problems
    line = path.read_text("utf-8").splitlines().index("entities:") + 1
    assert f":{line}:" in str(problem) and "unknown kind 'person'" in str(problem)
    assert [m.id for m in vault.list(entities=["Ana"])] == [memory_id]


def test_the_watcher_picks_up_a_hand_edited_entity(vault: Vault) -> None:
    memory_id = vault.remember("Ana asked about parseConfig").id
    path = memory_file(vault, memory_id)
    watcher = vault.watcher()
    watcher.start()
    try:
        edit_front_matter(path, "  name:\n  - Ana\n", "  name:\n  - Ana\n  - Grace Hopper\n")
        within(LIMIT, lambda: [m.id for m in vault.list(entities=["grace hopper"])] == [memory_id])
    finally:
        watcher.stop()
