"""FileIndex: the files the index is built from, their chunks, note links, pending writes, runs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from memvault.core.file_records import (
    FOLDER_ROOT,
    FileKind,
    FileRecord,
    FileState,
    IndexRun,
    LinkView,
    NoteLink,
    PendingWrite,
)
from memvault.core.records import Edge, Memory, MemoryFilter, MemoryRecord, ValidationEvent, Verdict
from memvault.core.terms import parse_query
from memvault.storage.roles import Store
from tests.storage.contract.helpers import (
    EVERYTHING,
    chunk,
    embed_pending,
    file_record,
    insert,
    memory,
)

T0 = "2026-01-01T00:00:00.000000Z"
T1 = "2026-02-01T00:00:00.000000Z"
DOCS = "/srv/docs"  # the root of a `memvault index` run


def keyword(store: Store, text: str) -> list[str]:
    return [i for i, _ in store.keyword_search(parse_query(text), EVERYTHING, limit=20)]


def memory_file(item: Memory, digest: str = "a" * 64) -> FileState:
    path = f"memories/{item.namespace}/{item.id}.md"
    return FileState(FOLDER_ROOT, path, FileKind.MEMORY, item.id, digest, 100, 1_000)


# --- documents and their chunks ---------------------------------------------------------------
def test_a_document_is_indexed_with_its_chunks(store: Store) -> None:
    record = file_record("guide.md", kind=FileKind.DOCUMENT, root=DOCS, title="Guide", tags=["t"])
    chunks = [
        chunk(record, "install with pip", 1),
        chunk(record, "configure the port", 5, heading="Setup"),
    ]
    assert store.put_document(record, chunks, embed=True) == (2, 0)
    assert store.get_file(DOCS, "guide.md") == record
    assert store.file_states(DOCS) == {"guide.md": record.state}
    listed = {m.id: m for m in store.list_memories(MemoryFilter(), limit=10)}
    assert listed.keys() == {c.id for c in chunks}
    stored = listed[chunks[1].id]
    assert stored.location == chunks[1].location and stored.tags == ("t",)
    assert keyword(store, "configure port") == [chunks[1].id]
    assert store.job_counts().queued == 2
    assert store.list_memories(MemoryFilter(include_chunks=False), limit=10) == []


def test_reindexing_keeps_unchanged_chunks_with_their_vectors(store: Store) -> None:
    record = file_record("n.md")
    same, edited, moved = (
        chunk(record, text, n) for n, text in enumerate(["one", "two", "three"], 1)
    )
    store.put_document(record, [same, edited, moved], embed=True)
    assert embed_pending(store) == 3
    vectors_before = store.vectors_of([same.id, moved.id])

    new_text = chunk(record, "two, edited", 2)
    moved_down = chunk(record, "three", 9)
    assert moved_down.id == moved.id
    updated = replace(record, state=replace(record.state, content_hash="b" * 64))
    assert store.put_document(updated, [same, new_text, moved_down], embed=True) == (1, 1)
    assert store.get_memory(edited.id) is None and store.vectors_of([edited.id]) == {}
    kept = store.get_memory(moved.id)
    assert kept is not None and kept.location == moved_down.location  # its new place
    vectors_after = store.vectors_of([same.id, moved.id])
    assert vectors_after.keys() == vectors_before.keys() == {same.id, moved.id}
    for memory_id, vector in vectors_before.items():
        np.testing.assert_array_equal(vectors_after[memory_id], vector)
    tasks = store.claim_embed_jobs("t:1:a", limit=10, lease_seconds=60)
    assert [t.memory_id for t in tasks] == [new_text.id]  # only new text is embedded again
    assert store.get_file(FOLDER_ROOT, "n.md") == updated
    assert store.put_document(updated, [], embed=True) == (0, 3)


def test_two_files_may_hold_the_same_paragraph(store: Store) -> None:
    first, second = file_record("a.md"), file_record("b.md")
    store.put_document(first, [chunk(first, "shared paragraph", 1)], embed=False)
    store.put_document(second, [chunk(second, "shared paragraph", 1)], embed=False)
    insert(store, "shared paragraph")  # nor does a chunk stop a memory of its own
    assert len(keyword(store, "shared paragraph")) == 3


def test_file_states_by_root_and_path(store: Store) -> None:
    records = [
        file_record("a.md"),
        file_record("b.md"),
        file_record("a.md", kind=FileKind.DOCUMENT, root=DOCS),
    ]
    for record in records:
        store.put_document(record, [], embed=False)
    assert store.file_states(FOLDER_ROOT) == {"a.md": records[0].state, "b.md": records[1].state}
    assert store.file_states(FOLDER_ROOT, ["b.md", "missing.md"]) == {"b.md": records[1].state}
    assert store.file_states(DOCS) == {"a.md": records[2].state}
    assert store.file_states("/elsewhere") == {} and store.file_states(FOLDER_ROOT, []) == {}
    assert store.get_file(DOCS, "b.md") is None


def test_set_file_states_records_only_size_time_and_hash(store: Store) -> None:
    record = file_record("a.md", title="Title", tags=["x"])
    store.put_document(record, [chunk(record, "text", 1)], embed=False)
    touched = replace(record.state, content_hash="c" * 64, size=99, mtime_ns=5_000)
    store.set_file_states([touched, replace(touched, path="unknown.md")])
    assert store.get_file(FOLDER_ROOT, "a.md") == replace(record, state=touched)
    assert store.get_file(FOLDER_ROOT, "unknown.md") is None  # nothing is made up
    assert len(keyword(store, "text")) == 1


def test_list_files_by_folder_tag_and_time_in_pages(store: Store) -> None:
    paths_and_times = [
        ("notes/a.md", "2026-01-03T00:00:00.000000Z", ["x"]),
        ("notes/deep/b.md", "2026-01-01T00:00:00.000000Z", ["x", "y"]),
        ("notes2/c.md", "2026-01-04T00:00:00.000000Z", []),
        ("a_b/d.md", "2026-01-02T00:00:00.000000Z", ["y"]),
        ("axb/e.md", "2026-01-05T00:00:00.000000Z", []),
    ]
    for path, at, tags in paths_and_times:
        store.put_document(file_record(path, tags=tags, updated_at=at), [], embed=False)
    store.put_document(file_record("f.txt", kind=FileKind.DOCUMENT, root=DOCS), [], embed=False)

    def listed(**options: object) -> list[str]:
        found = store.list_files(FileKind.NOTE, root=FOLDER_ROOT, **options)  # type: ignore[arg-type]
        return [f.state.path for f in found]

    assert listed() == sorted(path for path, _, _ in paths_and_times)
    assert listed(folder="notes") == ["notes/a.md", "notes/deep/b.md"]
    assert listed(folder="notes/") == ["notes/a.md", "notes/deep/b.md"]
    assert listed(folder="a_b") == ["a_b/d.md"]  # "_" is a character, not a wildcard
    assert listed(tag="y") == ["a_b/d.md", "notes/deep/b.md"]
    assert listed(tag="x", folder="notes/deep") == ["notes/deep/b.md"]
    assert listed(recent=True) == [
        "axb/e.md",
        "notes2/c.md",
        "notes/a.md",
        "a_b/d.md",
        "notes/deep/b.md",
    ]
    assert listed(limit=2) == ["a_b/d.md", "axb/e.md"]
    assert listed(limit=2, offset=4) == ["notes2/c.md"]
    assert [f.state.path for f in store.list_files(FileKind.DOCUMENT, root=DOCS)] == ["f.txt"]
    assert store.list_files(FileKind.DOCUMENT, root=FOLDER_ROOT) == []


def test_deleting_files_forgets_them_and_everything_made_from_them(store: Store) -> None:
    note = file_record("n.md")
    pieces = [chunk(note, "alpha chunk", 1), chunk(note, "beta chunk", 2)]
    store.put_document(note, pieces, embed=True)
    own = memory("a memory with a file")
    store.put_memory_files([(own, memory_file(own))], embed=True)
    embed_pending(store)
    (other,) = insert(store, "alpha elsewhere")

    removed = store.delete_files(FOLDER_ROOT, ["n.md", memory_file(own).path, "unknown.md"])
    assert removed == 2
    assert store.memories_by_id([p.id for p in pieces] + [own.id]) == {}
    assert store.vectors_of([p.id for p in pieces] + [own.id]) == {}
    assert keyword(store, "alpha") == [other]
    assert store.file_states(FOLDER_ROOT) == {} and store.job_counts().total == 0
    assert store.delete_files(FOLDER_ROOT, ["n.md"]) == 0


# --- memory files -----------------------------------------------------------------------------
def test_memory_files_make_memories_equal_to_them(store: Store) -> None:
    written = memory("from a file", tags=["x"], created_at=T0, source="hand")
    state = memory_file(written)
    assert store.put_memory_files([(written, state)], embed=True) == {}
    assert store.get_memory(written.id) == written
    assert store.file_of_memory(written.id) == state
    assert store.job_counts().queued == 1
    edited = replace(
        written,
        content="edited in the file",
        content_hash=memory("edited in the file").content_hash,
        updated_at=T1,
    )
    assert store.put_memory_files([(edited, state)], embed=True) == {}
    assert store.get_memory(edited.id) == edited
    assert store.file_counts()["memory"] == 1


def test_a_bad_memory_file_does_not_stop_the_others(store: Store) -> None:
    (taken,) = insert(store, "already here")
    clash, fine = memory("already here"), memory("a new one")
    errors = store.put_memory_files(
        [(clash, memory_file(clash)), (fine, memory_file(fine))], embed=False
    )
    assert list(errors) == [memory_file(clash).path]
    assert store.get_memory(clash.id) is None and store.get_memory(fine.id) == fine
    assert store.file_of_memory(clash.id) is None
    assert store.get_memory(taken) is not None


def test_memories_without_a_file_are_listed_oldest_first(store: Store) -> None:
    first, second, third = insert(store, "one", "two", "three")
    note = file_record("n.md")
    store.put_document(note, [chunk(note, "a chunk", 1)], embed=False)  # chunks never count
    with_file = store.get_memory(second)
    assert with_file is not None
    store.finish_pending(
        [], owner=None, rendered=[FileRecord.of_memory(with_file, memory_file(with_file))]
    )
    assert store.memories_without_file(10) == [first, third]
    assert store.memories_without_file(1) == [first]


def test_relations_from_files_replace_edges_and_validations(store: Store) -> None:
    a, b, c = insert(store, "a", "b", "c")
    store.upsert_edge(Edge(a, b, "relates_to", 1.0, {}, T0))
    current = store.get_memory(a)
    assert current is not None
    event = ValidationEvent("ev-1", a, Verdict.CONFIRM, "me", None, 0.5, 0.65, T1)
    record = MemoryRecord(
        replace(current, superseded_by=c),
        relations=(
            Edge(a, c, "derived_from", 0.5, {}, T0),
            Edge(a, "missing", "relates_to", 1.0, {}, T0),
        ),
        validations=(event,),
    )
    warnings = store.put_relations([record])
    assert list(warnings) == [a] and len(warnings[a]) == 1 and "missing" in warnings[a][0]
    stored = store.memory_records([a])[a]
    assert stored.relations == (Edge(a, c, "derived_from", 0.5, {}, T0),)
    assert stored.validations == (event,) and stored.memory.superseded_by == c


# --- note links -------------------------------------------------------------------------------
def test_note_links_resolve_by_key_and_wait_for_missing_notes(store: Store) -> None:
    source, target = file_record("src.md"), file_record("deep/target.md")
    store.put_document(
        source,
        [],
        links=[NoteLink("target", "relates_to", 3), NoteLink("missing", "relates_to", 7)],
        keys=["src"],
        embed=False,
    )
    store.put_document(target, [], keys=["target", "deep/target"], embed=False)
    written, incoming = store.note_links(FOLDER_ROOT, "src.md")
    assert written == [
        LinkView("src.md", "target", "relates_to", 3, "deep/target.md"),
        LinkView("src.md", "missing", "relates_to", 7, None),
    ]
    assert incoming == []
    assert store.note_links(FOLDER_ROOT, "deep/target.md") == (
        [],
        [LinkView("src.md", "target", "relates_to", 3, "deep/target.md")],
    )
    store.put_document(file_record("missing.md"), [], keys=["missing"], embed=False)
    written, _ = store.note_links(FOLDER_ROOT, "src.md")
    assert [link.resolved_path for link in written] == ["deep/target.md", "missing.md"]
    assert store.file_counts()["links"] == 2
    store.put_document(source, [], links=[], keys=["src"], embed=False)  # links edited away
    assert store.note_links(FOLDER_ROOT, "deep/target.md") == ([], [])
    assert store.note_links(FOLDER_ROOT, "unknown.md") == ([], [])


def test_a_link_resolves_to_the_shortest_path_with_that_key(store: Store) -> None:
    store.put_document(file_record("a/b/page.md"), [], keys=["page"], embed=False)
    store.put_document(file_record("a/page.md"), [], keys=["page"], embed=False)
    store.put_document(
        file_record("src.md"), [], links=[NoteLink("page", "relates_to", None)], embed=False
    )
    (link,), _ = store.note_links(FOLDER_ROOT, "src.md")
    assert link.resolved_path == "a/page.md"


# --- pending writes and index runs ------------------------------------------------------------
def test_pending_marks_are_kept_per_path_and_cleared_by_their_owner(store: Store) -> None:
    store.mark_pending(
        [
            PendingWrite("b.md", "index", None, "p:1:a"),
            PendingWrite("a.md", "render", "m1", "p:1:a"),
        ]
    )
    store.mark_pending([PendingWrite("b.md", "render", "m2", "p:2:b")])  # taken over
    assert store.pending_writes() == [
        PendingWrite("a.md", "render", "m1", "p:1:a"),
        PendingWrite("b.md", "render", "m2", "p:2:b"),
    ]
    store.finish_pending(["a.md", "b.md"], owner="p:1:a")  # b.md is not p:1:a's any more
    assert store.pending_writes() == [PendingWrite("b.md", "render", "m2", "p:2:b")]
    store.finish_pending(["b.md"], owner=None)  # a recovery clears whatever is there
    assert store.pending_writes() == []
    store.mark_pending([])
    assert store.pending_writes() == []


def test_finishing_a_write_records_rendered_and_removed_files(store: Store) -> None:
    (memory_id,) = insert(store, "rendered")
    rendered = store.get_memory(memory_id)
    assert rendered is not None
    state = memory_file(rendered)
    store.mark_pending([PendingWrite(state.path, "render", memory_id, "p:1:a")])
    store.finish_pending(
        [state.path], owner="p:1:a", rendered=[FileRecord.of_memory(rendered, state)]
    )
    assert store.file_of_memory(memory_id) == state and store.pending_writes() == []
    store.finish_pending([], owner=None, removed=[state.path])
    assert store.file_of_memory(memory_id) is None
    assert store.get_memory(memory_id) is not None  # only the file's row is forgotten


def test_index_runs_report_progress_newest_first(store: Store) -> None:
    first = store.start_index_run(DOCS, "docs", "p:1:a", total=10)
    second = store.start_index_run("/other", "default", "p:2:b", total=3)
    store.update_index_run(first, files_done=10, chunks=42, state="done")
    store.update_index_run(second, files_done=1, chunks=2, state="failed", error="disk gone")
    runs = store.index_runs()
    assert [r.id for r in runs] == [second, first]
    latest, done = runs
    assert isinstance(latest, IndexRun)
    assert (done.root, done.namespace, done.owner, done.state) == (DOCS, "docs", "p:1:a", "done")
    assert (done.files_total, done.files_done, done.chunks, done.error) == (10, 10, 42, None)
    assert (latest.state, latest.files_done, latest.error) == ("failed", 1, "disk gone")
    assert done.started_at <= done.updated_at
    assert [r.id for r in store.index_runs(limit=1)] == [second]


def test_file_counts_by_kind(store: Store) -> None:
    assert store.file_counts() == {
        "memory": 0,
        "note": 0,
        "document": 0,
        "session": 0,
        "links": 0,
    }
    store.put_document(file_record("n.md"), [], links=[NoteLink("x", "relates_to", 1)], embed=False)
    store.put_document(file_record("d.txt", kind=FileKind.DOCUMENT, root=DOCS), [], embed=False)
    own = memory("m")
    store.put_memory_files([(own, memory_file(own))], embed=False)
    assert store.file_counts() == {
        "memory": 1,
        "note": 1,
        "document": 1,
        "session": 0,
        "links": 1,
    }


def test_a_record_reads_back_with_its_front_matter(store: Store) -> None:
    record = FileRecord(
        state=FileState(FOLDER_ROOT, "fm.md", FileKind.NOTE, "note-id", "d" * 64, 1, 2),
        namespace="ns",
        title="Front matter",
        tags=("a", "b"),
        front_matter={"title": "Front matter", "tags": ["a", "b"], "n": 3, "nested": {"k": "v"}},
        created_at=T0,
        updated_at=T1,
    )
    store.put_document(record, [], embed=False)
    assert store.get_file(FOLDER_ROOT, "fm.md") == record
