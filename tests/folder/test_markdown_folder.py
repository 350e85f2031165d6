"""The Markdown vault is the truth: delete the database, reindex, and everything is back.

Also: a crash at any step of a write leaves vault and index agreeing once the next process
opens the vault; hand-edited files are indexed, and broken ones reported without harm.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import memvault
from memvault.content.markdown.memory_file import parse_memory
from memvault.service.vault import Vault

WORKERS = Path(__file__).parents[1] / "workers"
QUERIES = [
    "deploy release",
    "postgres database",
    "flaky tests",
    "coffee preference",
    "parser config",
    "staging server",
    "rollback plan",
    "budget review",
    "incident postmortem",
    "api keys",
    "vector index",
    "sqlite wal",
    "backup schedule",
    "onboarding guide",
    "release notes",
    "team lunch",
    "code review",
    "roadmap",
    "latency budget",
    "python version",
]


def build(vault: Vault) -> dict[str, str]:
    ids: dict[str, str] = {}
    facts = [
        ("We deploy with make release on Fridays", "fact", "default", ["ops"]),
        ("The staging database runs postgres 15", "decision", "team/ops", ["db"]),
        ("Flaky tests are quarantined in tests/flaky", "lesson", "default", ["ci"]),
        ("Alice prefers her coffee black", "preference", "people", []),
        ("The parser_config lives in config/parser.toml", "fact", "default", ["code"]),
        ("Rollback plan: redeploy the previous tag", "decision", "default", ["ops"]),
        ("Budget review happens every quarter", "event", "default", []),
        ("Incident postmortem for the 2026-03 outage", "event", "team/ops", ["incident"]),
        ("API keys rotate monthly via the vault", "fact", "default", ["security"]),
        ("Backups run nightly at 02:00 UTC", "fact", "default", ["ops"]),
    ]
    for i, (text, kind, namespace, tags) in enumerate(facts):
        ids[f"m{i}"] = vault.remember(
            text,
            kind=kind,
            namespace=namespace,
            tags=tags,
            importance=0.1 * (i % 10),
            metadata={"n": i},
        ).id
    vault.relate(ids["m0"], ids["m5"], "relates_to", weight=0.7)
    vault.relate(ids["m1"], ids["m7"], "derived_from")
    vault.validate(ids["m2"], "confirm", actor="bob", note="seen it")
    vault.validate(ids["m3"], "refute")
    ids["m0b"] = vault.revise(ids["m0"], "We deploy with make release on Thursdays").id
    vault.update(ids["m4"], tags=["code", "config"], importance=0.9)
    vault.forget(ids["m9"])
    notes = vault.notes
    notes.write(
        "guides/deploy.md",
        "# Deploy\n\nSee [[Rollback]] and [[Release notes]].\n\n"
        "## Steps\n\nRun make release, watch the latency budget.\n",
        tags=["ops"],
    )
    notes.write("Rollback.md", "# Rollback\n\nRedeploy the previous tag. See [[guides/deploy]].\n")
    notes.write(
        "onboarding.md",
        "# Onboarding guide\n\nInstall python 3.11 and the sqlite wal "
        "tools.\n\n## Code review\n\nTwo approvals.\n",
        title="Onboarding guide",
    )
    notes.write("team/lunch.md", "Team lunch is on Wednesdays.\n", tags=["people"])
    notes.edit("onboarding.md", append="Backup schedule: nightly.")
    notes.edit("onboarding.md", section="Code review", section_content="One approval is enough.")
    notes.write("Release notes.md", "# Release notes\n\nv2.3.1 fixed the vector index.\n")
    notes.move("team/lunch.md", "people/lunch.md")
    return ids


def snapshot(vault: Vault) -> dict[str, Any]:
    memories = {}
    for memory in vault.list(include_superseded=True, include_chunks=True, limit=1000):
        data = memory.to_dict()
        del data["accessed_at"], data["access_count"]
        memories[memory.id] = data
    edges = {
        memory_id: sorted(
            (n.edge.source_id, n.edge.target_id, n.edge.relation, n.edge.weight, n.edge.created_at)
            for n in vault.neighbours(memory_id)
        )
        for memory_id in memories
    }
    notes = [n.to_dict() for n in vault.notes.list(limit=1000)]
    links = {n["path"]: vault.notes.links(n["path"]) for n in notes}
    history = {i: vault.validation_history(i) for i in memories}
    searches = {q: [h.memory.id for h in vault.search(q, k=5)] for q in QUERIES}
    return {
        "memories": memories,
        "edges": edges,
        "notes": notes,
        "links": links,
        "history": history,
        "searches": searches,
    }


def delete_database(home: Path) -> None:
    for name in ("memvault.db", "memvault.db-wal", "memvault.db-shm"):
        (home / name).unlink(missing_ok=True)


def test_delete_the_database_and_reindex_brings_everything_back(home: Path) -> None:
    with memvault.open(home, background=False) as vault:
        build(vault)
        vault.wait_for_jobs()
        before = snapshot(vault)
        counts = vault.reindex()
    assert len(before["memories"]) > 10 and any(before["edges"].values())
    assert any(out for out, _ in before["links"].values())
    delete_database(home)
    with memvault.open(home, background=False) as vault:
        report = vault.reindex()
        assert not report.sync.problems
        vault.wait_for_jobs()
        after = snapshot(vault)
    assert (report.notes, report.memories, report.edges, report.links) == (
        counts.notes,
        counts.memories,
        counts.edges,
        counts.links,
    )
    for key in before:
        assert after[key] == before[key], key


def test_every_memory_write_is_in_its_file(vault: Vault) -> None:
    ids = build(vault)
    assert vault.folder is not None
    files = {p.stem: p for p in (vault.folder / "memories").rglob("*.md")}
    current = {
        m.id
        for m in vault.list(
            include_superseded=True,
            limit=1000,
            kinds=["fact", "decision", "lesson", "preference", "event"],
        )
    }
    assert set(files) == current
    assert ids["m9"] not in files  # forgotten: its file is gone
    for memory_id, path in files.items():
        record = parse_memory(path.read_text("utf-8"), path.relative_to(vault.folder).as_posix())
        stored = vault.get(memory_id, touch=False)
        assert record.memory.content == stored.content
        assert record.memory.tags == stored.tags and record.memory.confidence == stored.confidence
    old = parse_memory(files[ids["m0"]].read_text("utf-8"), "memories/default/x.md")
    assert old.memory.superseded_by == ids["m0b"]
    assert [e.target_id for e in old.relations] == [ids["m5"]]


def test_a_link_to_a_missing_note_resolves_when_it_appears(vault: Vault) -> None:
    vault.notes.write("a.md", "Points at [[Later note]].\n")
    (link,), _ = vault.notes.links("a.md")
    assert link.resolved_path is None
    vault.notes.write("folder/later-note.md", "Here now.\n", title="Later note")
    (link,), _ = vault.notes.links("a.md")
    assert link.resolved_path == "folder/later-note.md"
    _, (back,) = vault.notes.links("folder/later-note.md")
    assert back.source_path == "a.md"


def test_outside_edits_of_notes_and_memories_are_synced(vault: Vault) -> None:
    assert vault.folder is not None
    memory_id = vault.remember("The office plant is a ficus").id
    (memory_file,) = (vault.folder / "memories").rglob(f"{memory_id}.md")
    memory_file.write_text(memory_file.read_text("utf-8").replace("ficus", "monstera"), "utf-8")
    (vault.folder / "by-hand.md").write_text("# By hand\n\nquokka_sighting noted\n", "utf-8")
    report = vault.sync()
    assert (report.memories, report.notes) == (1, 1)
    assert vault.get(memory_id).content == "The office plant is a monstera"
    assert [
        h.memory.location.path
        for h in vault.search("quokka_sighting", mode="keyword")
        if h.memory.location
    ] == ["by-hand.md"]
    memory_file.unlink()
    assert vault.sync().removed == 1
    with pytest.raises(memvault.NotFoundError):
        vault.get(memory_id)


def test_broken_front_matter_is_reported_with_file_and_line_and_changes_nothing(
    vault: Vault,
) -> None:
    assert vault.folder is not None
    vault.notes.write("fine.md", "# Fine\n\nthe walrus_colony is fine\n")
    broken = vault.folder / "broken.md"
    broken.write_text("---\ntitle: ok\ntags: [a, b\n---\nnarwhal_pod text\n", "utf-8")
    good = vault.folder / "good.md"
    good.write_text("# Good\n\npelican_brief text\n", "utf-8")
    before = vault.stats()
    report = vault.sync()
    (problem,) = report.problems
    assert problem.path == "broken.md" and problem.line == 3
    assert "broken.md:3" in str(problem)
    assert report.notes == 1  # good.md still indexed
    assert vault.search("pelican_brief", mode="keyword")
    assert not vault.search("narwhal_pod", mode="keyword")
    assert vault.search("walrus_colony", mode="keyword")
    assert vault.stats().chunks == before.chunks + 1  # the good note's one chunk
    # A once-good note that breaks keeps its last good index until it is fixed.
    fine = vault.folder / "fine.md"
    fine.write_text("---\nid: [\n---\nnew text\n", "utf-8")
    os.utime(fine, (time.time() + 5, time.time() + 5))
    assert vault.sync().problems and vault.search("walrus_colony", mode="keyword")


@pytest.mark.parametrize(
    "bad",
    [
        "../escape",
        "a/../../escape",
        "/etc/passwd",
        "..",
        ".git/config",
        "memories/x",
        "C:\\windows\\x",
        "notes/\x00x",
        "linked/inside",
    ],
)
def test_note_paths_never_leave_the_vault(vault: Vault, tmp_path: Path, bad: str) -> None:
    assert vault.folder is not None
    outside = tmp_path / "outside"
    outside.mkdir()
    (vault.folder / "linked").symlink_to(outside, target_is_directory=True)
    vault.notes.write("keep.md", "kept\n")
    tree_before = sorted(str(p) for p in tmp_path.rglob("*"))
    stats_before = vault.stats()
    with pytest.raises(memvault.InvalidInputError):
        vault.notes.write(bad, "escaped!\n")
    assert sorted(str(p) for p in tmp_path.rglob("*")) == tree_before
    assert vault.stats().memories == stats_before.memories
    assert list(outside.iterdir()) == []


def run_worker(home: Path, mode: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, str(WORKERS / "crash_vault.py"), str(home), mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # the worker dies on purpose: its exit code is asserted below
        env={**os.environ, "MEMVAULT_EMBEDDER": "hash"},
    )
    assert proc.returncode == 9, proc.stderr
    return proc.stdout.split()


def assert_vault_and_index_agree(vault: Vault) -> None:
    assert vault.folder is not None
    files = {p.stem: p for p in (vault.folder / "memories").rglob("*.md")}
    stored = {m.id: m for m in vault.list(include_superseded=True, limit=10_000, kinds=["fact"])}
    assert set(files) == set(stored)
    for memory_id, path in files.items():
        record = parse_memory(path.read_text("utf-8"), "memories/default/x.md")
        assert record.memory.content == stored[memory_id].content
    notes = {
        p.relative_to(vault.folder).as_posix()
        for p in vault.folder.rglob("*.md")
        if "memories" not in p.parts
    }
    assert {n.state.path for n in vault.notes.list(limit=10_000)} == notes
    assert vault.check().ok


def test_a_crash_after_the_commit_is_finished_by_the_next_open(home: Path) -> None:
    acknowledged = run_worker(home, "after-commit")
    with memvault.open(home, background=False) as vault:
        (fifth,) = [m for m in vault.list(limit=10) if "fifth" in m.content]
        assert vault.folder is not None
        assert list((vault.folder / "memories").rglob(f"{fifth.id}.md"))
        assert {m.id for m in vault.list(limit=10)} >= set(acknowledged)
        assert_vault_and_index_agree(vault)


def test_a_crash_before_the_commit_leaves_no_trace(home: Path) -> None:
    acknowledged = run_worker(home, "before-commit")
    with memvault.open(home, background=False) as vault:
        assert {m.id for m in vault.list(limit=10)} == set(acknowledged)
        assert_vault_and_index_agree(vault)


def test_a_note_written_but_not_indexed_is_indexed_by_the_next_open(home: Path) -> None:
    run_worker(home, "note-file")
    with memvault.open(home, background=False) as vault:
        hits = vault.search("zebra_crossing", mode="keyword")
        assert hits and hits[0].memory.location is not None
        assert hits[0].memory.location.path == "crashed.md"
        assert_vault_and_index_agree(vault)


@pytest.mark.slow
def test_kill_9_at_random_moments_never_leaves_vault_and_index_apart(home: Path) -> None:
    acknowledged: list[str] = []
    for delay in (0.2, 0.45, 0.7):
        proc = subprocess.Popen(
            [sys.executable, str(WORKERS / "crash_vault.py"), str(home), "forever"],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "MEMVAULT_EMBEDDER": "hash"},
        )
        assert proc.stdout is not None
        acknowledged.append(proc.stdout.readline().strip())  # writing now, however slow the start
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        acknowledged += out.split()
    assert len(acknowledged) > 10
    with memvault.open(home, background=False) as vault:
        assert {m.id for m in vault.list(limit=10_000, kinds=["fact"])} >= set(acknowledged)
        assert_vault_and_index_agree(vault)


def test_check_reports_files_the_index_has_not_seen(vault: Vault) -> None:
    assert vault.folder is not None
    memory_id = vault.remember("checked memory").id
    vault.notes.write("n.md", "a note\n")
    assert vault.check().ok
    (vault.folder / "new.md").write_text("not indexed yet\n", "utf-8")
    next((vault.folder / "memories").rglob(f"{memory_id}.md")).unlink()
    (check,) = [c for c in vault.check().checks if c.name == "vault"]
    assert not check.ok
    assert "1 files not indexed (new.md)" in check.detail
    assert "indexed files gone from disk" in check.detail
    vault.sync()
    assert vault.check().ok


def test_chunks_belong_to_their_file(vault: Vault) -> None:
    vault.notes.write("c.md", "# C\n\nthe chunk_owner text\n")
    (hit,) = vault.search("chunk_owner", mode="keyword")
    other = vault.remember("a memory of its own").id
    for change in (
        lambda: vault.forget(hit.memory.id),
        lambda: vault.update(hit.memory.id, content="changed"),
        lambda: vault.relate(hit.memory.id, other),
        lambda: vault.validate(hit.memory.id, "confirm"),
        lambda: vault.supersede(hit.memory.id, other),
    ):
        with pytest.raises(memvault.InvalidInputError, match=r"is a chunk of c\.md"):
            change()
    vault.relate(other, hit.memory.id)  # pointing at a chunk is fine: the memory's file says so
    assert vault.get(hit.memory.id).content == "# C\n\nthe chunk_owner text"
    assert vault.check().ok


def test_editing_one_file_reindexes_one_file(vault: Vault) -> None:
    assert vault.folder is not None
    for i in range(5):
        vault.notes.write(f"n{i}.md", f"# Note {i}\n\ntopic_{i} text\n\n## More\n\nsame tail\n")
        vault.remember(f"memory {i}")
    assert vault.sync().changed == 0  # memvault's own writes are already indexed
    ids_before = {h.memory.id for h in vault.search("same tail", k=50, mode="keyword")}
    path = vault.folder / "n3.md"
    path.write_text(path.read_text("utf-8").replace("topic_3", "okapi_3"), "utf-8")
    report = vault.sync()
    assert (report.notes, report.memories, report.removed) == (1, 0, 0)
    assert report.unchanged == 9
    assert (report.chunks_added, report.chunks_removed) == (1, 1)  # only the edited section
    assert {h.memory.id for h in vault.search("same tail", k=50, mode="keyword")} == ids_before
    assert vault.search("okapi_3", mode="keyword") and not vault.search("topic_3", mode="keyword")


def test_a_memory_file_made_by_hand_becomes_a_memory(vault: Vault) -> None:
    assert vault.folder is not None
    folder = vault.folder / "memories" / "default"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "coffee.md").write_text("---\nkind: preference\ntags: [me]\n---\nOat milk.\n")
    report = vault.sync()
    assert report.memories == 1 and not report.problems
    (memory,) = vault.list(kinds=["preference"])
    assert memory.content == "Oat milk." and memory.tags == ("me",)
    copy = folder / "coffee-copy.md"
    copy.write_text((folder / "coffee.md").read_text("utf-8"))  # no id line: a new memory...
    assert vault.sync().problems[0].message.endswith("has the same content")  # ...but a dup
    # A copy that keeps the original's id is reported, and deleting it does not lose the memory.
    vault.notes.write("x.md", "x\n")
    (original,) = [p for p in folder.glob("*.md") if p.name == "coffee.md"]
    copy.write_text(f"---\nid: {memory.id}\n---\nOat milk, copied.\n")
    assert "belongs to" in vault.sync().problems[0].message
    copy.unlink()
    vault.sync()
    assert vault.get(memory.id).content == "Oat milk." and original.exists()


def test_a_link_to_a_file_outside_the_folder_is_not_followed(vault: Vault, tmp_path: Path) -> None:
    assert vault.folder is not None
    secret = tmp_path / "outside" / "passwd.md"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:secret_token_xyz\n", "utf-8")
    (vault.folder / "leak.md").symlink_to(secret)
    (vault.folder / "linked").symlink_to(secret.parent, target_is_directory=True)
    inside = vault.notes.write("real.md", "a real note\n")
    (vault.folder / "alias.md").symlink_to(vault.folder / inside.path)  # a link that stays in
    for report in (vault.sync(), vault.reindex().sync, vault.sync(["leak.md"])):
        assert {p.path for p in report.problems} >= {"leak.md"}
        assert all("links are not followed" in str(p) for p in report.problems)
    assert vault.search("secret_token_xyz", mode="keyword") == []
    assert {n.state.path for n in vault.notes.list()} == {"real.md"}
    assert vault.check().ok


def test_a_copied_note_is_a_problem_of_its_own_not_a_crash(vault: Vault) -> None:
    assert vault.folder is not None
    vault.notes.write("original.md", "# Original\n\nthe text of the original\n")
    copy = vault.folder / "copy.md"
    copy.write_bytes((vault.folder / "original.md").read_bytes())
    (problem,) = vault.sync().problems
    assert problem.path == "copy.md" and "a copy?" in str(problem)
    assert [n.state.path for n in vault.notes.list()] == ["original.md"]
