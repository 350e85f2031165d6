"""A real ChromaDB 1.x store into memvault end to end, healthy and with its HNSW index damaged."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import memvault
from tests.importers.run_cli import cli

RECORDS = 10_000
MAKE_STORE = """
import sys, numpy as np, chromadb
path, n = sys.argv[1], int(sys.argv[2])
client = chromadb.PersistentClient(path=path)
col = client.create_collection("memories", embedding_function=None,
                               metadata={"hnsw:space": "cosine"})
rng = np.random.default_rng(3)
words = "harbor lantern quarry meadow glacier orchard canyon tundra delta prairie".split()
for start in range(0, n, 1000):
    rows = range(start, min(n, start + 1000))
    col.add(ids=[f"doc-{i}" for i in rows],
            documents=[f"Entry {i}: {' '.join(rng.choice(words, 4))} sample_{i}_{i * 13 % 997}"
                       for i in rows],
            embeddings=rng.normal(size=(len(rows), 16)).astype("float32"),
            metadatas=[{"i": i, "site": f"s{i % 5}", "checked": i % 2 == 0} for i in rows])
"""


@pytest.fixture(scope="module")
def chroma_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("chroma") / "store"
    subprocess.run(
        [sys.executable, "-c", MAKE_STORE, str(folder), str(RECORDS)],
        check=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    return folder


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_ten_thousand_records_import_verify_rerun_and_the_store_is_untouched(
    chroma_store: Path, tmp_path: Path
) -> None:
    before = files_of(chroma_store)
    home = tmp_path / "home"
    done = cli(
        home, "import", "chroma", str(chroma_store), "--batch-size", "1000", "--verify", "--json"
    )
    assert done.returncode == 0, done.stderr + done.stdout
    report = json.loads(done.stdout)
    assert (report["imported"], report["failed"], report["ok"]) == (RECORDS, 0, True)
    assert report["verify"]["vectors_lost_in_source"] == 0
    again = json.loads(cli(home, "import", "chroma", str(chroma_store), "--json").stdout)
    assert (again["imported"], again["unchanged"]) == (0, RECORDS)
    with memvault.open(home, background=False) as vault:
        (hit,) = vault.search(f"sample_4321_{4321 * 13 % 997}", mode="keyword", k=1)
        assert hit.memory.metadata == {"i": 4321, "site": "s1", "checked": False}
    assert files_of(chroma_store) == before  # read only: not a byte changed, no file added


def test_a_damaged_hnsw_index_loses_no_document(chroma_store: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(chroma_store, damaged)
    (level0,) = damaged.rglob("data_level0.bin")
    level0.write_bytes(level0.read_bytes()[: level0.stat().st_size // 3])
    home = tmp_path / "home"
    done = cli(
        home, "import", "chroma", str(damaged), "--vector-model", "hash-16", "--verify", "--json"
    )
    assert done.returncode == 0, done.stderr + done.stdout
    report = json.loads(done.stdout)
    assert report["imported"] == RECORDS and report["ok"] is True
    lost = report["verify"]["vectors_lost_in_source"]
    assert 0 < lost < RECORDS
    assert report["verify"]["vectors_reembedded"] >= lost
    assert all(i.startswith("doc-") for i in report["verify"]["vectors_lost_ids"])


def test_a_killed_chroma_import_resumes_to_the_same_state(
    chroma_store: Path, tmp_path: Path
) -> None:
    killed, clean = tmp_path / "killed.db", tmp_path / "clean.db"
    args = ["import", "chroma", str(chroma_store), "--batch-size", "200"]
    env = {**os.environ, "MEMVAULT_EMBEDDER": "hash", "MEMVAULT_BACKGROUND": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "memvault.cli.app", "--db", str(killed), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if killed.exists():
            with memvault.open(killed, background=False) as peek:
                if peek.stats().memories >= 3000:
                    break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    for target in (killed, clean):
        done = subprocess.run(
            [sys.executable, "-m", "memvault.cli.app", "--db", str(target), *args, "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr

    def state(db: Path) -> list[tuple[str, str]]:
        with memvault.open(db, background=False) as vault:
            return sorted(
                (m.content, json.dumps(m.metadata, sort_keys=True))
                for m in vault.list(limit=10_000)
            )

    assert state(killed) == state(clean) and len(state(clean)) == RECORDS
