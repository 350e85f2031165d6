"""Backups of a live vault and restores from them, through real processes and real files.

The claims a user relies on: a backup taken while others write is whole (a consistent prefix of
every writer, each memory with its tags, edges and file); a restored home passes ``check`` and
answers searches as before; a damaged backup changes nothing; a live home is never written over.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import memvault
from memvault.core.errors import ConflictError, InvalidInputError
from memvault.importers.export import Exporter
from memvault.service.backup import verify_backup
from memvault.service.backup_retention import Retention
from memvault.service.restore import restore_backup

WORKERS = Path(__file__).parents[1] / "workers"


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_a_backup_taken_during_four_writers_holds_a_whole_prefix(tmp_path: Path) -> None:
    home = tmp_path / "home"
    memvault.open(home).close()
    writers = [spawn(str(WORKERS / "write_chain.py"), str(home), str(n), "500") for n in range(4)]
    try:
        with memvault.open(home, background=False) as vault:
            while vault.stats().memories < 400:  # the backup lands mid-run
                assert all(w.poll() is None for w in writers), "a writer stopped early"
                time.sleep(0.05)
            report = vault.backup(tmp_path / "backups")
    finally:
        outcomes = [w.communicate(timeout=300) for w in writers]
    for writer, (out, err) in zip(writers, outcomes, strict=True):
        assert writer.returncode == 0, err
        assert json.loads(out)["errors"] == []
    taken = report.manifest.counts["memories"]
    assert 400 <= taken < 2000, "the backup should have been taken while writers ran"

    restored = tmp_path / "restored"
    assert restore_backup(Path(report.path), restored).check_ok
    with memvault.open(restored, background=False) as vault:
        assert vault.check().ok
        memories = vault.list(limit=10_000)
        assert len(memories) == taken
        folder = vault.folder
        assert folder is not None
        for n in range(4):
            chain = sorted(
                (m for m in memories if f"w-{n}" in m.tags),
                key=lambda m: int(m.content.rsplit(" ", 1)[1]),
            )
            steps = [int(m.content.rsplit(" ", 1)[1]) for m in chain]
            assert steps == list(range(len(steps))), f"writer {n}: not a prefix"
            for i, memory in enumerate(chain):
                assert memory.tags == tuple(sorted((f"w-{n}", f"step-{i}")))
                file = folder / "memories" / memory.namespace / f"{memory.id}.md"
                assert memory.content in file.read_text(), f"{file} does not hold its memory"
                # memory i links to i-1 in a write of its own, which may come after the cut
                if 0 < i < len(chain) - 1:
                    linked = vault.neighbours(memory.id, relation="follows")
                    assert chain[i - 1].id in [nb.memory.id for nb in linked]
    with memvault.open(home, background=False) as vault:
        assert vault.stats().memories == 2000  # the live vault lost nothing meanwhile


def test_restore_drill_gives_back_the_same_answers_and_export(tmp_path: Path) -> None:
    home = tmp_path / "home"
    topics = ["tea", "coffee", "parser", "config", "release", "backup", "tokenizer", "index"]
    with memvault.open(home, background=False) as vault:
        for i in range(60):
            vault.remember(
                f"{topics[i % 8]} fact number {i} about snake_case_{i}", tags=[topics[i % 8]]
            )
        vault.notes.write("notes/plan.md", "# Plan\n\nShip the backup and restore drill.\n")
        vault.wait_for_jobs()
        queries = [*topics, *(f"snake_case_{i}" for i in range(12))]
        before = {q: [h.memory.id for h in vault.search(q, k=10)] for q in queries}
        export_before = tmp_path / "before.jsonl"
        with export_before.open("w") as out:
            Exporter(vault).jsonl(out)
        report = vault.backup(tmp_path / "backups", compress=True)
    shutil.rmtree(home)

    restored = restore_backup(Path(report.path), home)
    assert restored.check_ok and restored.set_aside is None
    with memvault.open(home, background=False) as vault:
        assert vault.check().ok
        after = {q: [h.memory.id for h in vault.search(q, k=10)] for q in queries}
        export_after = tmp_path / "after.jsonl"
        with export_after.open("w") as out:
            Exporter(vault).jsonl(out)
    assert after == before
    assert without_access(export_after) == without_access(export_before)


def without_access(path: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for line in lines:
        for stat in ("access_count", "last_accessed_at"):
            line.pop(stat, None)
            if isinstance(line.get("memory"), dict):
                line["memory"].pop(stat, None)
    return lines


def test_a_damaged_backup_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with memvault.open(home) as vault:
        vault.remember("the original")
        report = vault.backup(tmp_path / "backups")
    backup = Path(report.path)
    note = next((backup / "vault" / "memories").rglob("*.md"))
    note.write_text(note.read_text() + "tampered\n")
    with pytest.raises(InvalidInputError, match="does not match its checksum"):
        verify_backup(backup)
    target = tmp_path / "other"
    with pytest.raises(InvalidInputError, match="checksum"):
        restore_backup(backup, target)
    assert not target.exists()

    (backup / "manifest.json").unlink()
    with pytest.raises(InvalidInputError, match="not a finished backup"):
        verify_backup(backup)


def test_restore_refuses_a_home_in_use_even_when_forced(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with memvault.open(home) as vault:
        vault.remember("kept safe")
        report = vault.backup(tmp_path / "backups")
    holder = spawn(
        "-c",
        "import sys, memvault; v = memvault.open(sys.argv[1], background=False); "
        "v.stats(); print('open', flush=True); sys.stdin.read()",
        str(home),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(ConflictError, match="open in another process"):
            restore_backup(Path(report.path), home, force=True)
    finally:
        holder.communicate("", timeout=30)
    with pytest.raises(ConflictError, match="--force"):
        restore_backup(Path(report.path), home)

    with memvault.open(home) as vault:
        vault.remember("written after the backup")
    forced = restore_backup(Path(report.path), home, force=True)
    assert forced.set_aside is not None and (Path(forced.set_aside) / "memvault.db").exists()
    with memvault.open(home) as vault:
        assert [m.content for m in vault.list()] == ["kept safe"]


def test_retention_prunes_what_no_rule_keeps(tmp_path: Path) -> None:
    home = tmp_path / "home"
    dest = tmp_path / "backups"
    with memvault.open(home) as vault:
        vault.remember("x")
        for _ in range(3):
            vault.backup(dest)
        assert len(list(dest.iterdir())) == 3
        report = vault.backup(dest, retention=Retention(last=2))
    assert len(report.pruned) == 2
    kept = {p.name for p in dest.iterdir()}
    assert len(kept) == 2 and Path(report.path).name in kept  # the new one is never pruned
    assert not kept & set(report.pruned)
    assert not any(p.name.endswith(".partial") for p in dest.iterdir())
