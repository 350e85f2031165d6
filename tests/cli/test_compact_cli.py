"""memvault compact while another process holds the vault: it compacts, or refuses in one line.

The other process is real (a Python subprocess with the vault open, between two searches, or
holding a write transaction), because the failure this guards against, VACUUM meeting a
connection that is in use, only happens across connections.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import memvault
from memvault.cli.app import main
from memvault.core.records import MemoryDraft

HOLDER = """
import sys, memvault
vault = memvault.open(sys.argv[1], background=False)
print(len(vault.search("filler", k=5, mode="keyword")), flush=True)
sys.stdin.readline()
print(len(vault.search("kept", k=5, mode="keyword")), flush=True)
vault.close()
"""

WRITER = """
import sys, apsw
conn = apsw.Connection(sys.argv[1])
conn.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@contextmanager
def other_process(script: str, db: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip()  # it is in
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def bloated(path: Path) -> Path:
    """A vault that had 1,500 memories of about 2 KB and kept 100 of them."""
    with memvault.open(path, embedder="none") as vault:
        outcomes = vault.remember_many(
            [MemoryDraft(f"filler {n} " + "padding words " * 150) for n in range(1400)]
            + [MemoryDraft(f"kept {n} " + "padding words " * 150) for n in range(100)]
        )
        for outcome in outcomes[:1400]:
            vault.forget(outcome.id)
    return path


def test_compact_shrinks_the_file_while_another_process_has_it_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = bloated(tmp_path / "v.db")
    with other_process(HOLDER, db) as holder:
        capsys.readouterr()
        assert main(["--db", str(db), "compact", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["db_bytes_after"] < report["db_bytes_before"] // 2
        assert report["freed_bytes"] > 0 and report["note"] == ""
        out, _ = holder.communicate("go\n")
        assert holder.returncode == 0 and out.strip() == "5"  # it reads on, unharmed
    assert main(["--db", str(db), "check"]) == 0
    with memvault.open(db, embedder="none") as vault:
        assert vault.stats().memories == 100


def test_compact_refuses_in_one_line_while_another_process_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = bloated(tmp_path / "v.db")
    size = db.stat().st_size
    with other_process(WRITER, db) as writer:
        capsys.readouterr()
        assert main(["--db", str(db), "compact", "--wait", "0.3"]) == 1
        _, err = capsys.readouterr()
        assert err.count("\n") == 1 and "nothing was compacted" in err and "--wait" in err
        writer.communicate("done\n")
    assert db.stat().st_size == size
    assert main(["--db", str(db), "compact"]) == 0  # with the writer gone it goes ahead
    assert "compacted:" in capsys.readouterr().out
    assert db.stat().st_size < size


READER = """
import sys, apsw
conn = apsw.Connection(sys.argv[1])
conn.execute("BEGIN")
print(conn.execute("SELECT count(*) FROM memories").fetchone()[0], flush=True)
sys.stdin.readline()
print(conn.execute("SELECT count(*) FROM memories").fetchone()[0], flush=True)
conn.execute("COMMIT")
"""


def test_compact_beside_a_long_reader_says_the_wal_waits_for_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = bloated(tmp_path / "v.db")
    with other_process(READER, db) as reader:
        capsys.readouterr()
        assert main(["--db", str(db), "compact", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert "another process is reading" in report["note"]
        out, _ = reader.communicate("go\n")
        assert out.strip() == "100"  # its snapshot was never disturbed
    assert main(["--db", str(db), "compact", "--json"]) == 0  # the reader gone: it finishes
    report = json.loads(capsys.readouterr().out)
    assert report["note"] == "" and report["wal_bytes_after"] == 0
    assert main(["--db", str(db), "check"]) == 0


def test_compact_keeps_every_vector_and_keyword_row_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    with memvault.open(db, background=False) as vault:
        outcomes = vault.remember_many(
            [MemoryDraft(f"item {n} " + "pad " * 200) for n in range(600)]
        )
        vault.wait_for_jobs()
        for outcome in outcomes[:400]:
            vault.forget(outcome.id)
        by_meaning = [h.memory.id for h in vault.search("item 500", k=5, mode="vector")]
        by_words = [h.memory.id for h in vault.search("item 500", k=5, mode="keyword")]
    assert main(["--db", str(db), "compact", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["freed_bytes"] > 0
    with memvault.open(db, background=False) as vault:
        assert [h.memory.id for h in vault.search("item 500", k=5, mode="vector")] == by_meaning
        assert [h.memory.id for h in vault.search("item 500", k=5, mode="keyword")] == by_words
        assert vault.check().ok
