"""Notes through the API: write, read, edit, move, delete, list, links; files stay the truth."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

import memvault
from memvault.folder.lock import FolderLock
from memvault.service.vault import Vault


def keyword_paths(vault: Vault, query: str) -> list[str]:
    return [
        h.memory.location.path
        for h in vault.search(query, mode="keyword")
        if h.memory.location is not None
    ]


def test_write_creates_a_file_with_front_matter_and_indexes_it(vault: Vault) -> None:
    note = vault.notes.write("ideas/plan", "# Plan\n\nship the capybara_feature\n", tags=["work"])
    assert note.path == "ideas/plan.md" and note.title == "Plan" and note.tags == ("work",)
    assert vault.folder is not None
    text = (vault.folder / "ideas/plan.md").read_text("utf-8")
    assert text.startswith("---\nid: ") and text.endswith("# Plan\n\nship the capybara_feature\n")
    (hit,) = vault.search("capybara_feature", mode="keyword")
    assert hit.memory.kind == "note" and hit.memory.tags == ("work",)
    assert hit.memory.location is not None
    location = hit.memory.location
    lines = text.splitlines()
    assert "capybara_feature" in "\n".join(lines[location.line_start - 1 : location.line_end])
    assert location.heading == "Plan"


def test_rewriting_keeps_id_title_tags_and_creation_time(vault: Vault) -> None:
    first = vault.notes.write("n.md", "old words\n", title="My note", tags=["a"])
    second = vault.notes.write("n.md", "new words\n")
    assert (second.id, second.title, second.tags) == (first.id, "My note", ("a",))
    assert second.front_matter["created_at"] == first.front_matter["created_at"]
    assert keyword_paths(vault, "new") == ["n.md"] and keyword_paths(vault, "old") == []


def test_edits(vault: Vault) -> None:
    vault.notes.write("e.md", "# Top\n\nintro\n\n## Setup\n\nold setup\n\n## Usage\n\nuse it\n")
    vault.notes.edit("e.md", append="the end")
    vault.notes.edit("e.md", prepend="the start")
    vault.notes.edit("e.md", section="Setup", section_content="new setup steps")
    note = vault.notes.edit("e.md", find="use it", replace="run it")
    assert note.body.startswith("the start\n")
    assert note.body.rstrip().endswith("the end")
    assert "new setup steps" in note.body and "old setup" not in note.body
    assert "run it" in note.body and "use it" not in note.body
    assert keyword_paths(vault, "setup steps") == ["e.md"]


def test_a_failed_edit_changes_nothing(vault: Vault) -> None:
    vault.notes.write("g.md", "twice twice\n")
    assert vault.folder is not None
    before = (vault.folder / "g.md").read_bytes()
    with pytest.raises(memvault.InvalidInputError, match="expected 1 occurrence"):
        vault.notes.edit("g.md", find="twice", replace="once")
    with pytest.raises(memvault.NotFoundError):
        vault.notes.edit("g.md", section="Nowhere", section_content="x")
    with pytest.raises(memvault.InvalidInputError, match="exactly one edit"):
        vault.notes.edit("g.md", append="a", prepend="b")
    assert (vault.folder / "g.md").read_bytes() == before
    assert vault.notes.edit("g.md", find="twice", replace="once", expected=2).body == "once once\n"


def test_move_and_delete(vault: Vault) -> None:
    vault.notes.write("a.md", "the okapi_note\n")
    vault.notes.write("b.md", "other\n")
    with pytest.raises(memvault.ConflictError):
        vault.notes.move("a.md", "b.md")
    moved = vault.notes.move("a.md", "archive/a.md")
    assert moved.path == "archive/a.md"
    assert keyword_paths(vault, "okapi_note") == ["archive/a.md"]
    vault.notes.delete("archive/a.md")
    assert keyword_paths(vault, "okapi_note") == []
    with pytest.raises(memvault.NotFoundError):
        vault.notes.read("archive/a.md")
    with pytest.raises(memvault.NotFoundError):
        vault.notes.delete("archive/a.md")


def test_list_by_folder_tag_and_recency(vault: Vault) -> None:
    vault.notes.write("x/one.md", "1\n", tags=["t"])
    vault.notes.write("x/two.md", "2\n")
    vault.notes.write("y/three.md", "3\n", tags=["t"])
    assert [n.state.path for n in vault.notes.list(folder="x")] == ["x/one.md", "x/two.md"]
    assert [n.state.path for n in vault.notes.list(tag="t")] == ["x/one.md", "y/three.md"]
    assert vault.notes.list(recent=True)[0].state.path == "y/three.md"
    with pytest.raises(memvault.InvalidInputError):
        vault.notes.list(folder="../x")


def test_front_matter_relations_become_links(vault: Vault) -> None:
    assert vault.folder is not None
    (vault.folder / "r.md").write_text(
        "---\nrelations:\n  derived_from: '[[Source note]]'\n  contradicts: [Other]\n---\nbody\n",
        "utf-8",
    )
    vault.sync()
    vault.notes.write("Source note.md", "source\n")
    links, _ = vault.notes.links("r.md")
    assert {(link.relation, link.resolved_path) for link in links} == {
        ("derived_from", "Source note.md"),
        ("contradicts", None),
    }


def test_a_note_with_broken_front_matter_is_not_overwritten(vault: Vault) -> None:
    assert vault.folder is not None
    path = vault.folder / "hand.md"
    path.write_text("---\ntitle: [unclosed\n---\nmine\n", "utf-8")
    with pytest.raises(memvault.InvalidInputError, match=r"hand\.md:2"):
        vault.notes.write("hand.md", "replacement\n")
    with pytest.raises(memvault.InvalidInputError, match=r"hand\.md:2"):
        vault.notes.edit("hand.md", append="more")
    assert path.read_text("utf-8") == "---\ntitle: [unclosed\n---\nmine\n"


def test_db_only_mode_has_no_notes(tmp_path: Path) -> None:
    with memvault.open(tmp_path / "only.db") as vault:
        assert vault.folder is None
        vault.remember("no files for me")
        with pytest.raises(memvault.InvalidInputError, match="DB-only"):
            vault.notes.write("x.md", "y\n")
    assert not (tmp_path / "vault").exists()


def test_list_shows_memories_of_their_own_unless_chunks_are_asked_for(vault: Vault) -> None:
    own = vault.remember("a memory of its own").id
    vault.notes.write("n.md", "# N\n\na note's chunk\n")
    assert [m.id for m in vault.list()] == [own]
    listed = vault.list(include_chunks=True)
    assert own in {m.id for m in listed} and any(m.location for m in listed)


def test_a_write_from_a_stale_version_is_refused_and_writes_nothing(vault: Vault) -> None:
    loaded = vault.notes.write("draft.md", "first words\n")
    assert vault.folder is not None
    path = vault.folder / "draft.md"
    assert loaded.file_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    saved = vault.notes.write("draft.md", "second words\n", expected_hash=loaded.file_hash)
    assert saved.body == "second words\n" and saved.file_hash != loaded.file_hash
    path.write_text(path.read_text("utf-8").replace("second", "outside"), "utf-8")
    outside = path.read_bytes()
    with pytest.raises(memvault.ConflictError, match="changed on disk"):
        vault.notes.write("draft.md", "third words\n", expected_hash=saved.file_hash)
    assert path.read_bytes() == outside
    path.unlink()
    with pytest.raises(memvault.ConflictError, match="deleted"):
        vault.notes.write("draft.md", "fourth words\n", expected_hash=saved.file_hash)
    assert not path.exists()


def test_the_hash_is_checked_under_the_folder_lock(vault: Vault) -> None:
    """Another writer (as another process would: its own flock) holds the folder lock and
    changes the file between the caller's load and its save: the save waits for the lock,
    then sees the change and refuses."""
    loaded = vault.notes.write("race.md", "base\n")
    assert vault.folder is not None
    path = vault.folder / "race.md"
    other = FolderLock(vault.folder)
    outcome: list[BaseException | None] = []

    def save() -> None:
        try:
            vault.notes.write("race.md", "mine\n", expected_hash=loaded.file_hash)
            outcome.append(None)
        except memvault.ConflictError as error:
            outcome.append(error)

    with other.held():
        saver = threading.Thread(target=save)
        saver.start()
        saver.join(0.3)
        assert saver.is_alive()  # waiting for the lock, not yet checked
        path.write_text(path.read_text("utf-8").replace("base", "theirs"), "utf-8")
    saver.join(10)
    assert isinstance(outcome[0], memvault.ConflictError)
    assert "theirs" in path.read_text("utf-8") and "mine" not in path.read_text("utf-8")


def test_a_new_note_never_replaces_one_that_exists(vault: Vault) -> None:
    vault.notes.write("taken.md", "already here\n")
    with pytest.raises(memvault.ConflictError, match="exists already"):
        vault.notes.write("taken", "replacement\n", new=True)
    assert vault.notes.read("taken.md").body == "already here\n"
    assert vault.notes.write("free.md", "fresh\n", new=True).body == "fresh\n"
