"""The import engine on file sources: idempotent, resumable, verified, and export round trips."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import memvault
from memvault.importers.engine import Importer
from memvault.importers.export import Exporter
from memvault.importers.readers.jsonl import JsonlSource, McpMemorySource, relation_name
from memvault.service.sessions import HandoffDraft

WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
]


def links_of(vault: memvault.Vault, source: str, ids: list[str]) -> dict[str, str]:
    """Source id -> memory id of the imported records, from the vault's import ledger."""
    return {k: link.memory_id for k, link in vault.import_port().links(source, ids).items()}


def record(i: int, **extra: object) -> dict[str, object]:
    rng = np.random.default_rng(i)
    words = " ".join(WORDS[j] for j in rng.choice(len(WORDS), 6, replace=False))
    return {
        "id": f"r{i}",
        "content": f"Record {i} about {words} and token_{i}x{i * 7}",
        "kind": ["fact", "decision", "lesson"][i % 3],
        "namespace": ["default", "ops"][i % 2],
        "tags": ["t" + str(i % 5)],
        "created_at": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z",
        "metadata": {"n": i, "source_table": "notes"},
        **extra,
    }


def write_jsonl(
    path: Path, rows: list[dict[str, object]], bad: dict[int, str] | None = None
) -> Path:
    lines = [json.dumps(row) for row in rows]
    for line_number, text in (bad or {}).items():
        lines.insert(line_number - 1, text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "target.db"  # DB-only: the 10k-record runs need no Markdown files


def test_ten_thousand_records_import_verify_and_rerun_imports_nothing(
    db: Path, tmp_path: Path
) -> None:
    source_file = write_jsonl(tmp_path / "s.jsonl", [record(i) for i in range(10_000)])
    with memvault.open(db, background=False) as vault:
        report = Importer(vault).run(JsonlSource(source_file), batch_size=1000)
        assert (report.imported, report.updated, report.unchanged, report.failed) == (
            10_000,
            0,
            0,
            0,
        )
        checked = Importer(vault).verify(JsonlSource(source_file))
        assert checked.ok, checked.to_dict()
        assert checked.linked == 10_000 and checked.sampled == 100 and checked.found >= 90
        again = Importer(vault).run(JsonlSource(source_file), batch_size=1000)
        assert (again.imported, again.updated, again.unchanged) == (0, 0, 10_000)
        memory = vault.get(links_of(vault, JsonlSource(source_file).name, ["r7"])["r7"])
        assert memory.created_at == "2025-08-08T10:00:00.000000Z"
        assert memory.metadata == {"n": 7, "source_table": "notes"} and memory.namespace == "ops"
        assert vault.stats().memories == 10_000


def test_changed_records_update_and_bad_rows_are_reported(db: Path, tmp_path: Path) -> None:
    rows = [record(i) for i in range(50)]
    path = write_jsonl(tmp_path / "s.jsonl", rows, bad={3: "{not json", 7: '{"id": "x1"}'})
    with memvault.open(db, background=False) as vault:
        report = Importer(vault).run(JsonlSource(path), batch_size=10)
        assert (report.imported, report.failed) == (50, 2)
        assert {f.source_id for f in report.failures} == {"line 3", "line 7"}
        assert "no content" in next(f.reason for f in report.failures if f.source_id == "line 7")
        rows[4]["content"] = "Record 4 was rewritten in the source"
        rows[5]["tags"] = ["changed"]
        write_jsonl(path, rows)
        rerun = Importer(vault).run(JsonlSource(path))
        assert (rerun.imported, rerun.updated, rerun.unchanged) == (0, 2, 48)
        links = links_of(vault, JsonlSource(path).name, ["r4", "r5"])
        assert vault.get(links["r4"]).content == "Record 4 was rewritten in the source"
        assert vault.get(links["r5"]).tags == ("changed",)
        forced = Importer(vault).run(JsonlSource(path), force=True)
        assert forced.updated == 50 and vault.stats().memories == 50


def test_dry_run_writes_nothing_and_status_counts(db: Path, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [record(i) for i in range(30)])
    with memvault.open(db, background=False) as vault:
        dry = Importer(vault).run(JsonlSource(path), dry_run=True)
        assert dry.imported == 30 and len(dry.sample) == 3 and dry.sample[0]["id"] == "r0"
        assert vault.stats().memories == 0
        status = Importer(vault).status(JsonlSource(path))
        assert (status["source_records"], status["imported"], status["pending"]) == (30, 0, 30)
        Importer(vault).run(JsonlSource(path))
        assert Importer(vault).status(JsonlSource(path))["pending"] == 0


def test_verify_finds_what_changed_behind_its_back(db: Path, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [record(i) for i in range(40)])
    with memvault.open(db, background=False) as vault:
        Importer(vault).run(JsonlSource(path))
        links = links_of(vault, JsonlSource(path).name, ["r1", "r2"])
        vault.update(links["r1"], content="tampered text")
        vault.forget(links["r2"])
        checked = Importer(vault).verify(JsonlSource(path))
        assert not checked.ok
        assert checked.missing == ["r2"]
        assert [(d["id"], d["field"]) for d in checked.differing] == [("r1", "content")]


def test_vectors_are_carried_when_the_model_matches_else_embedded(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rows = [record(i, vector=rng.normal(size=384).round(5).tolist()) for i in range(20)]
    path = write_jsonl(tmp_path / "v.jsonl", rows)
    with memvault.open(tmp_path / "carried.db", background=False) as vault:
        report = Importer(vault, carry_model="hash-384").run(JsonlSource(path))
        assert report.vectors_carried == 20
        assert vault.jobs().queued == 0  # nothing left to embed
        checked = Importer(vault).verify(JsonlSource(path))
        assert checked.ok and checked.vectors_carried == 20 and not checked.vector_mismatch
        hit = vault.search("x", k=1, mode="vector")  # the carried vectors are searchable
        assert hit
    with memvault.open(tmp_path / "embedded.db", background=False) as vault:
        report = Importer(vault, carry_model="some-other-model").run(JsonlSource(path))
        assert report.vectors_carried == 0 and vault.jobs().queued == 20
        vault.wait_for_jobs()
        checked = Importer(vault).verify(JsonlSource(path))
        assert checked.ok and len(checked.vectors_embedded) == 20


def graph_lines(entities: int) -> list[dict[str, object]]:
    """Entities with relations between them, the relations spread through the file (so a
    resumed import must still make the ones before its checkpoint)."""
    lines: list[dict[str, object]] = []
    for i in range(entities):
        lines.append(
            {
                "type": "entity",
                "name": f"Entity {i}",
                "entityType": ["person", "project"][i % 2],
                "observations": [f"observed trait_{i}_{i * 31 % 1009}", f"linked to lot {i % 97}"],
            }
        )
        if i % 10 == 1:
            lines.append(
                {
                    "type": "relation",
                    "from": f"Entity {i - 1}",
                    "to": f"Entity {i}",
                    "relationType": "works with",
                }
            )
    return lines


def write_source(kind: str, path: Path) -> JsonlSource | McpMemorySource:
    if kind == "jsonl":
        return JsonlSource(write_jsonl(path, [record(i) for i in range(10_000)]))
    path.write_text("\n".join(json.dumps(x) for x in graph_lines(10_000)) + "\n")
    return McpMemorySource(path)


def test_ten_thousand_graph_entities_import_and_verify(db: Path, tmp_path: Path) -> None:
    source = write_source("mcp-memory", tmp_path / "memory.jsonl")
    with memvault.open(db, background=False) as vault:
        report = Importer(vault).run(source, batch_size=1000)
        assert (report.imported, report.failed, report.edges) == (10_000, 0, 1000)
        assert Importer(vault).verify(source).ok
        again = Importer(vault).run(source, batch_size=1000)
        assert (again.imported, again.unchanged) == (0, 10_000)


@pytest.mark.parametrize("kind", ["jsonl", "mcp-memory"])
def test_a_killed_import_resumes_to_the_same_state_as_a_clean_run(
    tmp_path: Path, kind: str
) -> None:
    source = write_source(kind, tmp_path / "source.jsonl")
    script = (
        "import sys, memvault\n"
        "from memvault.importers.engine import Importer\n"
        "from memvault.importers.readers.jsonl import JsonlSource, McpMemorySource\n"
        "kind = JsonlSource if sys.argv[3] == 'jsonl' else McpMemorySource\n"
        "with memvault.open(sys.argv[1], background=False) as v:\n"
        "    Importer(v).run(kind(sys.argv[2]), batch_size=200,\n"
        "                progress=lambda d, t: print(d, flush=True))\n"
    )
    killed = tmp_path / "killed.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(killed), str(source.path), kind],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "MEMVAULT_EMBEDDER": "hash"},
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if int(line) >= 3000:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)

    def state(vault: memvault.Vault) -> list[tuple[str, str, int]]:
        return sorted(
            (m.content, json.dumps(m.metadata), len(vault.neighbours(m.id)))
            for m in vault.list(limit=10_000)
        )

    with memvault.open(killed, background=False) as vault:
        partial = vault.stats().memories
        assert 2000 <= partial < 10_000
        resumed = Importer(vault).run(source, batch_size=200)
        assert resumed.resumed
        after_kill = state(vault)
        assert Importer(vault).verify(source, sample=50).ok
    with memvault.open(tmp_path / "clean.db", background=False) as vault:
        Importer(vault).run(source, batch_size=200)
        clean = state(vault)
    assert after_kill == clean and len(clean) == 10_000


def test_mcp_memory_graph_becomes_memories_and_edges(home: Path, tmp_path: Path) -> None:
    graph = tmp_path / "memory.jsonl"
    lines = [
        {
            "type": "entity",
            "name": "Alice",
            "entityType": "person",
            "observations": ["likes tea", "works on the parser_config"],
        },
        {"type": "entity", "name": "Acme", "entityType": "organization", "observations": []},
        {"type": "relation", "from": "Alice", "to": "Acme", "relationType": "works at"},
        {"type": "relation", "from": "Alice", "to": "Nobody", "relationType": "knows"},
        {"type": "oops"},
    ]
    graph.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    with memvault.open(home, background=False) as vault:
        report = Importer(vault).run(McpMemorySource(graph))
        assert (report.imported, report.edges, report.failed) == (2, 1, 1)
        (alice,) = [h.memory for h in vault.search("parser_config", mode="keyword")]
        assert alice.kind == "entity" and alice.tags == ("person",)
        assert "- likes tea" in alice.content
        (neighbour,) = vault.neighbours(alice.id)
        assert neighbour.edge.relation == "works_at" and neighbour.memory.content.startswith("Acme")
        assert Importer(vault).run(McpMemorySource(graph)).imported == 0
    assert relation_name("Is Part Of") == "is_part_of" and relation_name("2nd") == "r_2nd"


def test_export_import_export_gives_identical_files(home: Path, tmp_path: Path) -> None:
    with memvault.open(home, background=False) as vault:
        a = vault.remember("first memory about the okapi", tags=["zoo"], metadata={"k": 1}).id
        b = vault.remember("second memory", kind="decision", namespace="ops").id
        vault.relate(a, b, "derived_from", weight=0.5)
        vault.validate(a, "confirm", actor="me")
        vault.revise(b, "second memory, corrected")
        vault.notes.write("ideas/plan.md", "# Plan\n\nSee [[Other]].\n", tags=["work"])
        session = vault.sessions.start(project="zoo", agent="keeper")
        vault.sessions.log(session.id, ["the okapi sleeps at noon", "feed it at two"])
        vault.sessions.end(session.id, handoff=HandoffDraft("fed the okapi", None, ("weigh it",)))
        first = tmp_path / "first.jsonl"
        with first.open("w") as out:
            counts = Exporter(vault).jsonl(out)
        assert (counts.memories, counts.notes, counts.edges, counts.sessions) == (3, 1, 2, 1)
        Exporter(vault).markdown(tmp_path / "md")
        assert vault.folder is not None
        for exported in (tmp_path / "md").rglob("*.md"):
            relative = exported.relative_to(tmp_path / "md")
            assert exported.read_bytes() == (vault.folder / relative).read_bytes()
    other = tmp_path / "other-home"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "memvault.cli.app",
            "--home",
            str(other),
            "import",
            "jsonl",
            str(first),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "MEMVAULT_EMBEDDER": "hash", "MEMVAULT_BACKGROUND": "0"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["imported"] == 3
    with memvault.open(other, background=False) as vault:
        second = tmp_path / "second.jsonl"
        with second.open("w") as out:
            Exporter(vault).jsonl(out)
        assert vault.check().ok
        assert vault.sessions.show(session.id).handoffs[0].next_steps == ("weigh it",)
        hits = vault.sessions.search("okapi noon", mode="keyword")
        assert [h.memory.content for h in hits] == ["the okapi sleeps at noon"]
    assert second.read_bytes() == first.read_bytes()
