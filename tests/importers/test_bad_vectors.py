"""Vectors a source brings that memvault must not store as they are: NaN or infinity, and widths
that differ within one batch. Each record is still imported (its vector made here), the import
is linked and re-runnable, search keeps working and check stays ok."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import memvault
from memvault.embedding.hashing import HashEmbedder
from tests.importers.run_cli import cli

HASH = HashEmbedder(384)


def vector_of(text: str) -> list[float]:
    return [float(x) for x in HASH.embed_documents([text])[0]]


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    # json.dumps writes NaN and Infinity as the bare tokens other tools emit too.
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    return path


def test_nan_infinity_and_mixed_widths_are_embedded_here_not_stored(tmp_path: Path) -> None:
    animals = ["okapi", "tapir", "quokka", "axolotl", "pangolin", "capybara"]
    texts = [f"the {animal} enclosure needs a keeper" for animal in animals]
    rows: list[dict[str, object]] = [
        {"id": f"r{n}", "content": text, "vector": vector_of(text)} for n, text in enumerate(texts)
    ]
    rows[1]["vector"] = [float("nan")] * 384
    rows[2]["vector"] = [float("inf"), *vector_of(texts[2])[1:]]
    rows[3]["vector"] = vector_of(texts[3])[:100]  # another width in the same batch
    source = write(tmp_path / "source.jsonl", rows)
    home = tmp_path / "home"

    done = cli(home, "import", "jsonl", str(source), "--vector-model", HASH.model_id, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["imported"], report["failed"], report["vectors_carried"]) == (6, 0, 3)
    assert cli(home, "jobs", "--wait", "--json").returncode == 0

    checked = cli(home, "verify", "jsonl", str(source), "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    verified = json.loads(checked.stdout)
    assert verified["ok"] and sorted(verified["vectors_reembedded_ids"]) == ["r1", "r2", "r3"]
    again = json.loads(cli(home, "import", "jsonl", str(source), "--json").stdout)
    assert (again["imported"], again["unchanged"]) == (0, 6)

    hits = json.loads(cli(home, "search", "quokka enclosure", "--json").stdout)["hits"]
    assert hits and hits[0]["content"] == texts[2]  # hybrid search works over every vector
    assert cli(home, "check").returncode == 0
    with memvault.open(home, background=False) as vault:
        stored = vault.import_port().vectors_of([h["id"] for h in hits])
        assert all(np.isfinite(v).all() and v.shape == (384,) for v in stored.values())
