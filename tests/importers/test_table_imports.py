"""MariaDB and PostgreSQL into memvault end to end: 10,000 rows, verify, re-run, kill, resume.

Through the command line, as an operator would run it (the contract in issue 6).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import memvault
from tests.importers.conftest import Database
from tests.importers.run_cli import cli

ROWS = 10_000
WORDS = [
    "harbor",
    "lantern",
    "quarry",
    "meadow",
    "glacier",
    "orchard",
    "canyon",
    "tundra",
    "delta",
    "prairie",
    "lagoon",
    "summit",
    "estuary",
    "savanna",
    "marsh",
    "fjord",
    "steppe",
    "atoll",
]


def fill(db: Database, rows: int = ROWS, *, vectors: bool = False) -> str:
    vector = ", emb vector(8)" if vectors else ""
    text_type = "TEXT, FULLTEXT (body)" if db.engine == "mysql" else "TEXT"
    table = db.create(
        f"id INTEGER PRIMARY KEY, body {text_type}, kind VARCHAR(20), tags VARCHAR(100),"
        f" created {{ts}}, extra {{json}}{vector}"
    )
    rng = np.random.default_rng(6)
    data = []
    for i in range(1, rows + 1):
        words = " ".join(WORDS[j] for j in rng.choice(len(WORDS), 5, replace=False))
        row: list[Any] = [
            i,
            f"Note {i}: the {words} survey found specimen_{i}_{(i * 37) % 1000}",
            ["fact", "lesson"][i % 2],
            f"survey,site{i % 7}",
            f"2024-03-{1 + i % 28:02d} 08:30:00",
            json.dumps({"site": i % 7, "team": "field"}),
        ]
        if vectors:
            row.append(str(rng.normal(size=8).round(4).tolist()))
        data.append(row)
    columns = ["id", "body", "kind", "tags", "created", "extra"] + (["emb"] if vectors else [])
    db.insert(table, columns, data)
    return table


def mapping_args(db: Database, table: str) -> list[str]:
    return [
        db.engine,
        db.url,
        "--table",
        table,
        "--id",
        "id",
        "--content",
        "body",
        "--map",
        "kind=kind",
        "--map",
        "tags=tags",
        "--map",
        "created_at=created",
        "--map",
        "metadata_json=extra",
        "--batch-size",
        "1000",
    ]


def test_ten_thousand_rows_import_verify_and_rerun(sqldb: Database, tmp_path: Path) -> None:
    table = fill(sqldb)
    home = tmp_path / "home"
    done = cli(home, "import", *mapping_args(sqldb, table), "--verify", "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    report = json.loads(done.stdout)
    assert (report["imported"], report["updated"], report["failed"]) == (ROWS, 0, 0)
    assert report["ok"] is True and report["verify"]["self_retrieval"]["rate"] >= 0.9
    assert report["verify"]["parity_overlap_at_10"] is not None  # FULLTEXT / tsvector
    again = json.loads(cli(home, "import", *mapping_args(sqldb, table), "--json").stdout)
    assert (again["imported"], again["unchanged"]) == (0, ROWS)
    status = json.loads(
        cli(home, "import", *mapping_args(sqldb, table), "--status", "--json").stdout
    )
    assert (status["source_records"], status["imported"], status["pending"]) == (ROWS, ROWS, 0)
    sqldb.execute(f"UPDATE {sqldb.quote(table)} SET body = 'rewritten specimen' WHERE id = 5")
    changed = json.loads(cli(home, "import", *mapping_args(sqldb, table), "--json").stdout)
    assert (changed["imported"], changed["updated"]) == (0, 1)
    verified = cli(home, "verify", *mapping_args(sqldb, table)[:-2], "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"] is True
    with memvault.open(home, background=False) as vault:
        assert vault.stats().memories == ROWS and vault.check().ok


def test_verify_fails_with_the_differences(postgres: Database, tmp_path: Path) -> None:
    table = fill(postgres, 200)
    home = tmp_path / "home"
    assert cli(home, "import", *mapping_args(postgres, table), "--json").returncode == 0
    postgres.execute(f"UPDATE {postgres.quote(table)} SET body = 'changed later' WHERE id = 9")
    postgres.execute(f"INSERT INTO {postgres.quote(table)} (id, body) VALUES (999, 'new row')")
    failed = cli(home, "verify", *mapping_args(postgres, table)[:-2], "--json")
    assert failed.returncode == 1
    report = json.loads(failed.stdout)
    assert report["ok"] is False and report["missing"] == ["999"]
    assert [(d["id"], d["field"]) for d in report["differing"]] == [("9", "content")]


def test_a_killed_import_resumes_to_the_same_state(sqldb: Database, tmp_path: Path) -> None:
    table = fill(sqldb)
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    args = [*mapping_args(sqldb, table)[:-1], "200"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "memvault.cli.app", "--home", str(killed), "import", *args],
        env={**os.environ, "MEMVAULT_EMBEDDER": "hash", "MEMVAULT_BACKGROUND": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if (killed / "memvault.db").exists():
            with memvault.open(killed / "memvault.db", background=False) as peek:
                if peek.stats().memories >= 3000:
                    break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    with memvault.open(killed, background=False) as vault:
        assert 3000 <= vault.stats().memories < ROWS
    resumed = json.loads(cli(killed, "import", *args, "--json").stdout)
    assert resumed["resumed"] is True
    assert cli(clean, "import", *args, "--json").returncode == 0

    def state(home: Path) -> list[tuple[str, str, str]]:
        with memvault.open(home, background=False) as vault:
            return sorted(
                (m.content, m.created_at, json.dumps(m.metadata, sort_keys=True))
                for m in vault.list(limit=10_000)
            )

    assert state(killed) == state(clean)
    assert len(state(clean)) == ROWS


def test_pgvector_vectors_are_carried_and_verified(pgvector: Database, tmp_path: Path) -> None:
    table = fill(pgvector, 300, vectors=True)
    home = tmp_path / "home"
    args = [*mapping_args(pgvector, table), "--map", "vector=emb"]
    done = cli(
        home,
        "--embedder",
        "hash:8",
        "import",
        *args,
        "--vector-model",
        "hash-8",
        "--verify",
        "--json",
    )
    assert done.returncode == 0, done.stderr + done.stdout
    report = json.loads(done.stdout)
    assert report["vectors_carried"] == 300 and report["verify"]["vectors_carried"] == 300
    assert report["verify"]["vector_mismatch"] == []
    other = tmp_path / "other"
    embedded = json.loads(cli(other, "import", *args, "--verify", "--json").stdout)
    assert embedded["vectors_carried"] == 0
    assert embedded["verify"]["vectors_reembedded"] == 300
