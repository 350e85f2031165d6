"""A full disk and a read-only file system, through the real CLI on a real small file system.

Each test mounts its own tmpfs (a few MiB) and runs ``memvault`` as a subprocess on a home
inside it: no fault is injected, the kernel itself answers ENOSPC and EROFS. Mounting needs
root (as the test suite runs here); a read-only file system is made by remounting the tmpfs
``ro``, because chmod does not stop root from writing; a full Markdown folder beside a database
with room is a bind mount of the full tmpfs at ``HOME/vault``. Every mount is undone in a
``finally``, also when a test fails. What a user relies on: a write that cannot be stored is
one line of error and exit 1 (no traceback), every memory the CLI acknowledged is still there,
and once there is space (or the mount is writable) again the same vault takes writes, finds
them and passes ``check``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import pytest

from memvault.storage.sqlite.migrations import LATEST_VERSION

EXE = shutil.which("memvault", path=str(Path(sys.executable).parent)) or "memvault"
FIXTURES = Path(__file__).parents[1] / "fixtures"


def sh(*args: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{' '.join(args)}: {done.stderr.strip()}"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs of the test's own, unmounted afterwards whatever happened."""
    mount = tmp_path / "disk"
    mount.mkdir()
    sh("mount", "-t", "tmpfs", "-o", "size=3m,mode=0755", "tmpfs", str(mount))
    try:
        yield mount
    finally:
        for umount in (["umount"], ["umount", "-l"]):  # -l: something still holds a file
            done = subprocess.run([*umount, str(mount)], capture_output=True, check=False)
            if done.returncode == 0:
                break


class Home:
    """``memvault --home HOME`` as a user runs it (hash embedder, no background hand-off, so
    no detached process holds the file system)."""

    def __init__(self, home: Path, *, option: str = "--home", embedder: str = "hash") -> None:
        self.where = [option, str(home)]  # --db FILE: a DB-only vault
        self.embedder = embedder

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "MEMVAULT_BACKGROUND": "0"}
        env.pop("MEMVAULT_HOME", None)
        return subprocess.run(
            [EXE, *self.where, "--embedder", self.embedder, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    def json(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def ids(self) -> set[str]:
        return {m["id"] for m in self.json("list", "--limit", "10000")["memories"]}

    def found(self, word: str) -> set[str]:
        return {h["id"] for h in self.json("search", word, "--mode", "keyword")["hits"]}


def one_error(done: subprocess.CompletedProcess[str], *wanted: str) -> str:
    """The run failed with exit 1 and one error line, which says one of ``wanted``."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    errors = [line for line in lines if line.startswith("memvault: error:")]
    errors += [json.loads(line)["error"] for line in lines if line.startswith("{")]  # --json
    assert len(errors) == 1, done.stderr
    assert any(w in errors[0] for w in wanted), errors[0]
    return errors[0]


def fill(disk: Path, leave: int) -> Path:
    """Take all of the disk's space but ``leave`` bytes (about: tmpfs counts pages)."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with filler.open("wb") as out:
        out.truncate(0)
        out.write(b"\0" * max(free - leave, 0))
    return filler


def rows_of(path: Path) -> list[list[tuple[Any, ...]]]:
    """The version and the rows of a version-2 file's own tables, read without writing."""
    conn = apsw.Connection(
        f"file:{path}?mode=ro&immutable=1", flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI
    )
    try:
        tables = ("schema_migrations", "memories", "memory_tags", "edges", "jobs", "vector_log")
        return [[tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1")] for t in tables]
    finally:
        conn.close()


def test_a_full_disk_is_one_error_and_loses_nothing_acknowledged(small_disk: Path) -> None:
    vault = Home(small_disk / "home")
    acknowledged = {
        vault.json("remember", f"before the disk fills, note {i}")["id"] for i in range(3)
    }
    filler = fill(small_disk, leave=192 * 1024)

    saved: set[str] = set()  # stored, though its Markdown file could not be written yet
    refused: list[str] = []  # words of writes that were refused as a whole
    for i in range(60):
        word = f"filling{i}"
        done = vault.run("remember", f"{word} " + "x" * 8000, "--json")
        if done.returncode == 0:
            acknowledged.add(json.loads(done.stdout)["id"])
            continue
        line = one_error(done, "disk full while writing")
        if "saved in the database" in line:
            saved.add(word)
        else:
            assert "nothing from this write was kept" in line
            refused.append(word)
        if len(refused) == 2:
            break
    assert len(refused) == 2, "the disk never filled"
    assert len(acknowledged) > 3
    # Still full: another kind of write is refused the same way.
    one_error(vault.run("update", sorted(acknowledged)[0], "--tag", "late"), "disk full")

    filler.unlink()
    assert acknowledged <= vault.ids()
    for word in refused:
        assert vault.found(word) == set(), word  # nothing half-written
    for word in saved:
        assert len(vault.found(word)) == 1, word
    after = vault.json("remember", "written once space is back")["id"]
    assert vault.run("jobs", "--wait").returncode == 0
    assert vault.found("space") == {after}
    hits = vault.json("search", "written once space is back", "--mode", "vector", "-k", "1")
    assert [h["id"] for h in hits["hits"]] == [after]
    check = vault.run("check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_read_only_file_system_is_one_error_and_loses_nothing(small_disk: Path) -> None:
    vault = Home(small_disk / "home")
    acknowledged = {
        vault.json("remember", f"kept while read-only, note {i}")["id"] for i in range(3)
    }
    sh("mount", "-o", "remount,ro", str(small_disk))
    try:
        one_error(vault.run("remember", "refused while read-only"), "read-only")
    finally:
        sh("mount", "-o", "remount,rw", str(small_disk))
    assert vault.ids() == acknowledged
    assert vault.found("refused") == set()
    after = vault.json("remember", "written once the mount is writable again")["id"]
    assert vault.found("writable") == {after}
    check = vault.run("check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_an_upgrade_on_a_full_disk_changes_nothing_until_there_is_room(small_disk: Path) -> None:
    """The copy an upgrade makes first cannot be written: the file stays at its old version,
    no partial copy is left, and with room again the upgrade runs with its copy."""
    home = small_disk / "home"
    home.mkdir()
    old = home / "memvault.db"
    shutil.copy(FIXTURES / "schema_v2.db", old)
    before = rows_of(old)
    filler = fill(small_disk, leave=64 * 1024)
    vault = Home(old, option="--db", embedder="hash:16")  # the fixture's own vectors
    one_error(vault.run("stats"), "disk full")
    assert rows_of(old) == before  # still version 2, every row as it was
    assert sorted(p.name for p in home.iterdir() if p.suffix == ".bak") == []

    filler.unlink()
    assert vault.json("stats")["schema_version"] == LATEST_VERSION
    (copy,) = home.glob("memvault.db.v2-*.bak")
    assert copy.read_bytes()[:16] == b"SQLite format 3\0"
    check = vault.run("check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_full_markdown_folder_keeps_the_memory_and_writes_its_file_later(
    tmp_path: Path, small_disk: Path
) -> None:
    """The Markdown folder on a file system of its own that is full, the database on one with
    room: the memory is committed, the command says so with the file's path, and the file is
    written by the first command that runs once there is space."""
    home = tmp_path / "home"
    vault = Home(home)
    first = vault.json("remember", "written while the folder had room")["id"]
    folder = home / "vault"
    shutil.copytree(folder, small_disk / "copy")
    shutil.rmtree(folder)
    folder.mkdir()
    sh("mount", "--bind", str(small_disk / "copy"), str(folder))
    try:
        filler = fill(small_disk, leave=0)
        line = one_error(vault.run("remember", "kept in the database meanwhile"), "disk full")
        assert "/memories/default/" in line and "saved in the database" in line
        (kept,) = vault.found("meanwhile")
        assert vault.ids() == {first, kept}  # reads work on the full folder
        pending = vault.run("check")
        assert pending.returncode == 1 and "left unfinished" in pending.stdout, pending.stdout
        filler.unlink()
        assert vault.ids() == {first, kept}  # this open wrote the missing file
        assert (folder / "memories" / "default" / f"{kept}.md").exists()
        check = vault.run("check")
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True, check=False)
