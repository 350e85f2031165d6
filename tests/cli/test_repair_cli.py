"""memvault check and repair on a damaged vault, as a user runs them (the real CLI, a real file).

The damage is the issue's list, made with raw SQL and file writes underneath a closed vault:
the keyword rows dropped, vectors deleted, the vector snapshot deleted, a memory file cut
short, a lease left by a process that is gone. ``check`` must name each, ``repair --dry-run``
must show the steps and change nothing, ``repair`` must fix each, and every memory, note and
validation must be as it was.
"""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import apsw
import pytest

import memvault
from memvault.cli.app import main
from memvault.core.records import MemoryDraft, Relation, Verdict
from memvault.storage.sqlite.connection import open_connection
from memvault.storage.sqlite.vector_index import SNAPSHOT_MIN


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip().startswith("{") else out, err


def checks_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in report["checks"]}


def contents(home: Path) -> dict[str, Any]:
    """Everything a repair must not lose: memories, validations, edges, notes."""
    with memvault.open(home, background=False) as vault:
        memories = {m.id: m for m in vault.list(limit=1000)}
        return {
            "memories": {
                i: (m.content, m.kind, m.tags, m.confidence, m.metadata, m.superseded_by)
                for i, m in memories.items()
            },
            "validations": {i: vault.validation_history(i) for i in memories},
            "edges": {
                i: sorted((n.memory.id, n.edge.relation) for n in vault.neighbours(i))
                for i in memories
            },
            "notes": {
                r.state.path: vault.notes.read(r.state.path).body for r in vault.notes.list()
            },
        }


def dead_owner() -> str:
    """A lease owner on this host whose process has exited."""
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{socket.gethostname()}:{int(finished.stdout)}:dead"


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    with memvault.open(home, background=False) as vault:
        ids = [
            o.id
            for o in vault.remember_many(
                [
                    MemoryDraft(f"Fact {n}: the build uses cache server {n}", tags=("ops",))
                    for n in range(6)
                ]
            )
        ]
        vault.validate(ids[0], Verdict.CONFIRM, actor="alice", note="seen it")
        vault.relate(ids[0], ids[1], Relation.RELATES_TO)
        vault.notes.write("runbook", "# Runbook\n\nRestart the cache server first.")
        vault.wait_for_jobs()
    return home


def test_check_names_each_damage_and_repair_fixes_it_losing_nothing(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, db = filled, filled / "memvault.db"
    before = contents(home)
    assert run(capsys, "--home", str(home), "check", "--json")[0] == 0
    victim = sorted((home / "vault" / "memories").rglob("*.md"))[0]
    intact = victim.read_bytes()

    conn = open_connection(db, reader=False)  # sqlite-vec loaded: the vec0 table needs it
    rows = int(conn.execute("SELECT count(*) FROM memories").fetchone()[0])  # notes' chunks too
    conn.execute("DELETE FROM memories_fts")
    conn.execute("DELETE FROM memory_vectors WHERE rowid IN (SELECT pk FROM memories LIMIT 2)")
    conn.execute(
        "UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = 1e12"
        " WHERE id = (SELECT max(id) FROM jobs)",
        (dead_owner(),),
    )
    conn.close()
    victim.write_bytes(intact[: len(intact) // 2])

    code, report, _ = run(capsys, "--home", str(home), "check", "--json")
    found = checks_of(report)
    assert code == 1 and report["ok"] is False
    assert not found["keyword_index"]["ok"] and found["keyword_index"]["counts"]["missing"] == rows
    assert not found["vectors"]["ok"] and found["vectors"]["counts"]["lost"] == 2
    # A lease of a process that is gone is void (the next worker takes the job): named, and
    # counted, but not a failure by itself (a vault that survived kill -9 checks ok).
    assert (
        found["jobs"]["counts"]["stuck"] == 1
        and "a process that is gone" in found["jobs"]["detail"]
    )
    assert not found["vault"]["ok"] and found["vault"]["counts"]["memory_files_damaged"] == 1
    assert victim.name in found["vault"]["detail"]

    code, plan, _ = run(capsys, "--home", str(home), "repair", "--dry-run", "--json")
    assert code == 0 and plan["dry_run"] is True and plan["after"] is None
    planned = {a["check"] for a in plan["actions"]}
    assert {"keyword_index", "vectors", "jobs", "vault"} <= planned
    assert not any(a["done"] for a in plan["actions"])
    assert victim.read_bytes() == intact[: len(intact) // 2]  # a dry run changes nothing
    assert run(capsys, "--home", str(home), "check", "--json")[1] == report

    code, done, _ = run(capsys, "--home", str(home), "repair", "--json")
    assert code == 0 and done["ok"] is True and done["after"]["ok"] is True
    assert all(a["done"] for a in done["actions"])
    assert victim.read_bytes() == intact  # rendered again from the index
    (aside,) = (home / "vault").glob(".repair-*")
    assert (aside / victim.relative_to(home / "vault")).read_bytes() == intact[: len(intact) // 2]

    assert checks_of(done["after"])["jobs"]["counts"]["stuck"] == 0
    assert run(capsys, "--home", str(home), "jobs", "--wait")[0] == 0
    code, report, _ = run(capsys, "--home", str(home), "check", "--json")
    assert code == 0 and checks_of(report)["vectors"]["counts"]["vectors"] == rows
    assert contents(home) == before
    code, found_hits, _ = run(
        capsys, "--home", str(home), "search", "cache server 3", "--mode", "keyword", "--json"
    )
    assert found_hits["hits"][0]["content"] == "Fact 3: the build uses cache server 3"


def test_a_damaged_keyword_index_structure_is_named_and_rebuilt(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = contents(filled)
    conn = apsw.Connection(str(filled / "memvault.db"))
    conn.execute("UPDATE memories_fts_data SET block = zeroblob(16) WHERE id > 10")
    conn.close()
    code, report, _ = run(capsys, "--home", str(filled), "check", "--json")
    assert code == 1 and not checks_of(report)["fts_integrity"]["ok"]
    assert "fts5" in checks_of(report)["fts_integrity"]["detail"]
    code, done, _ = run(capsys, "--home", str(filled), "repair", "--json")
    assert code == 0 and done["after"]["ok"] is True
    assert contents(filled) == before


def test_a_deleted_vector_snapshot_is_named_and_written_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "big.db"
    snapshot = Path(f"{db}.vindex")
    with memvault.open(db, background=False) as vault:
        vault.remember_many([MemoryDraft(f"note {n} of many") for n in range(SNAPSHOT_MIN)])
        vault.wait_for_jobs()
    assert run(capsys, "--db", str(db), "search", "note 7", "--json")[0] == 0
    assert snapshot.exists()  # a new process's first search wrote it
    assert run(capsys, "--db", str(db), "check", "--json")[0] == 0

    code, report, _ = run(capsys, "--db", str(db), "check", "--json")
    assert checks_of(report)["vector_snapshot"]["counts"]["rebuild"] == 0

    # A cache, never the truth: named and counted, not a failure (a restore must check ok).
    snapshot.unlink()
    code, report, _ = run(capsys, "--db", str(db), "check", "--json")
    found = checks_of(report)["vector_snapshot"]
    assert code == 0 and "missing" in found["detail"] and found["counts"]["rebuild"] == 1
    code, done, _ = run(capsys, "--db", str(db), "repair", "--json")
    assert code == 0 and done["after"]["ok"] is True
    assert [(a["check"], a["count"]) for a in done["actions"]] == [
        ("vector_snapshot", SNAPSHOT_MIN)
    ]
    assert snapshot.exists()
    assert checks_of(done["after"])["vector_snapshot"]["counts"]["rebuild"] == 0

    snapshot.write_bytes(snapshot.read_bytes()[:100])  # torn
    code, report, _ = run(capsys, "--db", str(db), "check", "--json")
    assert "torn" in checks_of(report)["vector_snapshot"]["detail"]
    assert run(capsys, "--db", str(db), "repair")[0] == 0
    code, report, _ = run(capsys, "--db", str(db), "check", "--json")
    assert code == 0 and checks_of(report)["vector_snapshot"]["detail"].endswith("fits")


def test_repair_of_a_healthy_vault_does_nothing_and_says_so(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--home", str(filled), "repair")
    assert code == 0 and "nothing to repair" in out


def test_broken_and_stray_vectors_are_dropped_and_their_memories_embedded_again(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, db = filled, filled / "memvault.db"
    conn = open_connection(db, reader=False)
    pk = int(conn.execute("SELECT min(pk) FROM memories").fetchone()[0])
    nan = struct.pack("<384f", *([float("nan")] * 384))
    conn.execute("DELETE FROM memory_vectors WHERE rowid = ?", (pk,))
    conn.execute("INSERT INTO memory_vectors(rowid, embedding) VALUES (?, ?)", (pk, nan))
    conn.execute("INSERT INTO memory_vectors(rowid, embedding) VALUES (999, ?)", (nan,))
    conn.close()
    code, report, _ = run(capsys, "--home", str(home), "check", "--json")
    counts = checks_of(report)["vectors"]["counts"]
    assert code == 1 and counts["non_finite"] == 2 and counts["stray"] == 1
    code, done, _ = run(capsys, "--home", str(home), "repair", "--json")
    assert code == 0 and done["after"]["ok"] is True
    assert run(capsys, "--home", str(home), "jobs", "--wait")[0] == 0
    code, report, _ = run(capsys, "--home", str(home), "check", "--json")
    counts = checks_of(report)["vectors"]["counts"]
    assert code == 0 and counts["non_finite"] == 0 and counts["stray"] == 0
    code, hits, _ = run(
        capsys, "--home", str(home), "search", "Fact 0", "--mode", "vector", "--json"
    )
    assert code == 0 and hits["hits"]


def test_a_memory_file_gone_from_disk_is_written_again_not_forgotten(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = contents(filled)
    victim = sorted((filled / "vault" / "memories").rglob("*.md"))[1]
    intact = victim.read_bytes()
    victim.unlink()
    code, report, _ = run(capsys, "--home", str(filled), "check", "--json")
    assert code == 1 and checks_of(report)["vault"]["counts"]["indexed_files_gone_from_disk"] == 1
    assert run(capsys, "--home", str(filled), "repair", "--json")[0] == 0
    assert victim.read_bytes() == intact
    assert contents(filled) == before


def test_stale_leases_are_named_and_released_by_repair(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = open_connection(filled / "memvault.db", reader=False)
    conn.execute(  # one lease ran out; one is held by a process that has exited
        "UPDATE jobs SET state = 'running', lease_owner = 'elsewhere:1:x', lease_until = 1"
        " WHERE id = (SELECT min(id) FROM jobs)"
    )
    conn.execute(
        "UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = 1e12"
        " WHERE id = (SELECT max(id) FROM jobs)",
        (dead_owner(),),
    )
    conn.close()
    code, report, _ = run(capsys, "--home", str(filled), "check", "--json")
    assert code == 0 and checks_of(report)["jobs"]["counts"]["stuck"] == 2
    code, done, _ = run(capsys, "--home", str(filled), "repair", "--json")
    assert code == 0 and [(a["check"], a["count"]) for a in done["actions"]] == [("jobs", 2)]
    code, jobs, _ = run(capsys, "--home", str(filled), "jobs", "--json")
    assert jobs["running"] == 0 and jobs["queued"] == 2
