"""MemoryStore: memories as records, deduplicated by content, with their history."""

from __future__ import annotations

import pytest

from memvault.core.errors import ConflictError, NotFoundError
from memvault.core.records import (
    Edge,
    InsertOutcome,
    MemoryFilter,
    MemoryPatch,
    MemoryRecord,
    Relation,
    Verdict,
)
from memvault.core.terms import parse_query
from memvault.storage.roles import Store
from tests.storage.contract.helpers import EVERYTHING, chunk, file_record, insert, memory

T0 = "2026-01-01T00:00:00.000000Z"
T1 = "2026-02-01T00:00:00.000000Z"
T2 = "2026-03-01T00:00:00.000000Z"


def keep_confidence(confidence: float, verdict: Verdict) -> float:
    return confidence


def found_by_words(store: Store, text: str, where: MemoryFilter = EVERYTHING) -> list[str]:
    return [i for i, _ in store.keyword_search(parse_query(text), where, limit=50)]


# --- insert and get -------------------------------------------------------------------------
def test_a_memory_reads_back_exactly_as_inserted(store: Store) -> None:
    written = memory(
        "Deploys go through `make release`",
        kind="lesson",
        namespace="ops",
        tags=["deploy", "make"],
        importance=0.8,
        confidence=0.7,
        source="chat:42",
        metadata={"ticket": "OPS-1", "nested": {"n": [1, 2]}, "unicode": "größe"},
        created_at=T0,
    )
    assert store.insert_memories([written]) == [InsertOutcome(written.id, created=True)]
    assert store.get_memory(written.id) == written
    assert store.memories_by_id([written.id]) == {written.id: written}


def test_the_same_content_is_stored_once_per_namespace(store: Store) -> None:
    (first,) = insert(store, "we use postgres")
    again = store.insert_memories(
        [
            memory("  we use postgres \n"),  # the same text up to outer whitespace
            memory("we use postgres", namespace="other"),
            memory("we use redis"),
            memory("we use redis"),  # a duplicate within one batch
        ]
    )
    assert again[0] == InsertOutcome(first, created=False)
    assert again[1].created and again[1].id != first
    assert again[2].created and again[3] == InsertOutcome(again[2].id, created=False)
    assert len(store.list_memories(EVERYTHING, limit=10)) == 3


def test_a_batch_keeps_each_memory_its_own_tags_and_words(store: Store) -> None:
    batch = [
        memory("alpha parseConfig notes", tags=["a", "shared"]),
        memory("beta plain notes"),
        memory("gamma snake_case notes", tags=["g", "shared"], metadata={"n": 1}),
    ]
    outcomes = store.insert_memories(batch)
    assert [o.id for o in outcomes] == [m.id for m in batch]
    assert store.memories_by_id([m.id for m in batch]) == {m.id: m for m in batch}
    assert found_by_words(store, "parse_config") == [batch[0].id]
    assert found_by_words(store, "snakeCase") == [batch[2].id]
    assert found_by_words(store, "beta") == [batch[1].id]


def test_only_new_memories_get_an_embed_job_and_only_when_asked(store: Store) -> None:
    insert(store, "no job for me")
    assert not store.has_pending_jobs() and store.job_counts().total == 0
    outcomes = store.insert_memories(
        [memory("first"), memory("second"), memory("no job for me")], embed=True
    )
    assert [o.created for o in outcomes] == [True, True, False]
    assert store.has_pending_jobs() and store.job_counts().queued == 2
    tasks = store.claim_embed_jobs("t:1:a", limit=10, lease_seconds=60)
    assert {t.memory_id: t.content for t in tasks} == {
        outcomes[0].id: "first",
        outcomes[1].id: "second",
    }


def test_an_empty_insert_writes_nothing(store: Store) -> None:
    assert store.insert_memories([], embed=True) == []
    assert store.stats().memories == 0 and store.job_counts().total == 0


def test_get_records_an_access_only_when_asked(store: Store) -> None:
    (memory_id,) = insert(store, "read me")
    plain = store.get_memory(memory_id)
    assert plain is not None and (plain.access_count, plain.accessed_at) == (0, None)
    touched = store.get_memory(memory_id, touch_at=T1)
    assert touched is not None and (touched.access_count, touched.accessed_at) == (1, T1)
    store.get_memory(memory_id, touch_at=T2)
    after = store.get_memory(memory_id)
    assert after is not None and (after.access_count, after.accessed_at) == (2, T2)
    assert after.updated_at == plain.updated_at  # reading is not a change


def test_missing_ids_are_none_or_left_out(store: Store) -> None:
    (memory_id,) = insert(store, "here")
    assert store.get_memory("nope") is None
    assert store.get_memory("nope", touch_at=T1) is None
    assert set(store.memories_by_id([memory_id, "nope"])) == {memory_id}
    assert store.memories_by_id([]) == {}
    assert set(store.memory_records(["nope", memory_id])) == {memory_id}


def test_memory_records_hold_outgoing_edges_and_validations_oldest_first(store: Store) -> None:
    a, b, c = insert(store, "a", "b", "c")
    to_b = store.upsert_edge(Edge(a, b, "relates_to", 1.0, {}, T0))
    to_c = store.upsert_edge(Edge(a, c, "derived_from", 0.5, {"why": "x"}, T1))
    store.upsert_edge(Edge(b, a, "relates_to", 1.0, {}, T0))  # incoming: not a's to hold
    events = [
        store.record_validation(
            a, verdict, rule=keep_confidence, actor="me", note=None, event_id=f"e{n}", at=at
        )
        for n, (verdict, at) in enumerate([(Verdict.CONFIRM, T1), (Verdict.USE, T2)])
    ]
    current = store.get_memory(a)
    assert current is not None
    record = store.memory_records([a])[a]
    assert record == MemoryRecord(current, record.relations, tuple(events))
    assert sorted(record.relations, key=lambda e: e.target_id) == sorted(
        [to_b, to_c], key=lambda e: e.target_id
    )
    assert store.memory_records([c])[c] == MemoryRecord(store.memories_by_id([c])[c])


# --- update -----------------------------------------------------------------------------------
def test_update_changes_only_the_fields_given(store: Store) -> None:
    (memory_id,) = insert(store, "original text", tags=["old"], source="s", created_at=T0)
    before = store.get_memory(memory_id)
    assert before is not None
    updated = store.update_memory(memory_id, MemoryPatch(tags=("a", "b"), importance=0.9), T1)
    assert updated == store.get_memory(memory_id)
    assert (updated.tags, updated.importance, updated.updated_at) == (("a", "b"), 0.9, T1)
    assert (updated.content, updated.source, updated.kind, updated.created_at) == (
        "original text",
        "s",
        "fact",
        T0,
    )
    changed = store.update_memory(
        memory_id,
        MemoryPatch(content="new text", kind="lesson", metadata={"k": 1}, confidence=0.1),
        T2,
    )
    assert (changed.content, changed.kind, changed.metadata, changed.confidence) == (
        "new text",
        "lesson",
        {"k": 1},
        0.1,
    )
    assert changed.content_hash != before.content_hash and changed.tags == ("a", "b")
    assert found_by_words(store, "original") == []
    assert found_by_words(store, "new text") == [memory_id]


def test_update_to_content_another_memory_has_is_a_conflict(store: Store) -> None:
    first, second = insert(store, "taken", "free")
    with pytest.raises(ConflictError):
        store.update_memory(second, MemoryPatch(content="taken", importance=0.9), T1)
    unchanged = store.get_memory(second)
    assert unchanged is not None and (unchanged.content, unchanged.importance) == ("free", 0.5)
    (elsewhere,) = insert(store, "taken", namespace="other")  # other namespaces do not count
    assert store.update_memory(first, MemoryPatch(content="now free"), T1).content == "now free"
    assert store.update_memory(second, MemoryPatch(content="taken"), T2).content == "taken"
    assert store.get_memory(elsewhere) is not None


def test_update_of_a_missing_memory_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.update_memory("nope", MemoryPatch(importance=0.1), T1)


# --- delete -----------------------------------------------------------------------------------
def test_delete_takes_tags_edges_validations_and_jobs_with_it(store: Store) -> None:
    keep, gone = insert(store, "keep me", "delete me", tags=["shared"], embed=True)
    insert(store, "tagged only here", tags=["only-gone"])
    store.update_memory(gone, MemoryPatch(tags=("shared", "solo")), T1)
    store.upsert_edge(Edge(keep, gone, "relates_to", 1.0, {}, T0))
    store.upsert_edge(Edge(gone, keep, "derived_from", 1.0, {}, T0))
    store.record_validation(
        gone, Verdict.CONFIRM, rule=keep_confidence, actor=None, note=None, event_id="e1", at=T1
    )
    assert store.stats().tags == 3

    assert store.delete_memory(gone) is True
    assert store.get_memory(gone) is None
    assert store.neighbours(keep, depth=2) == [] and store.edge_sources(keep) == []
    assert store.validation_history(gone) == []
    assert found_by_words(store, "delete") == []
    stats = store.stats()
    assert (stats.memories, stats.edges, stats.validation_events, stats.tags) == (2, 0, 0, 2)
    assert store.job_counts().total == 1  # keep's job only
    assert store.delete_memory(gone) is False


# --- listing ----------------------------------------------------------------------------------
def test_list_is_newest_first_and_pages(store: Store) -> None:
    ids = [insert(store, f"memory {n}", created_at=f"2026-01-{n + 1:02d}T00:00:00.000000Z")[0]
           for n in range(7)]  # fmt: skip
    newest_first = list(reversed(ids))
    assert [m.id for m in store.list_memories(EVERYTHING, limit=100)] == newest_first
    pages = [store.list_memories(EVERYTHING, limit=3, offset=o) for o in (0, 3, 6, 9)]
    assert [[m.id for m in page] for page in pages] == [
        newest_first[:3],
        newest_first[3:6],
        newest_first[6:],
        [],
    ]


def test_list_filters_combine(store: Store) -> None:
    a = insert(store, "a", namespace="ns", kind="fact", tags=["x", "y"], created_at=T0)[0]
    b = insert(store, "b", namespace="ns", kind="lesson", tags=["x"], created_at=T1)[0]
    c = insert(store, "c", namespace="other", kind="fact", tags=["y"], created_at=T2)[0]

    def listed(**where: object) -> set[str]:
        return {m.id for m in store.list_memories(MemoryFilter(**where), limit=10)}  # type: ignore[arg-type]

    assert listed() == {a, b, c}
    assert listed(namespace="ns") == {a, b}
    assert listed(kinds=("lesson",)) == {b}
    assert listed(kinds=("lesson", "fact"), namespace="other") == {c}
    assert listed(tags=("x",)) == {a, b}
    assert listed(tags=("x", "y")) == {a}  # every tag must be there
    assert listed(tags=("nope",)) == set()
    assert listed(created_after=T1) == {b, c}  # from, inclusive
    assert listed(created_before=T1) == {a}  # until, exclusive
    assert listed(created_after=T0, created_before=T2, namespace="ns") == {a, b}


def test_list_leaves_out_superseded_and_optionally_chunks(store: Store) -> None:
    old, new = insert(store, "old version", "new version")
    store.supersede(old, new, T1)
    note = file_record("notes/n.md")
    (piece,) = [chunk(note, "a chunk of a note", 1)]
    store.put_document(note, [piece], embed=False)

    def listed(where: MemoryFilter) -> set[str]:
        return {m.id for m in store.list_memories(where, limit=10)}

    assert listed(MemoryFilter()) == {new, piece.id}
    assert listed(MemoryFilter(include_chunks=False)) == {new}
    assert listed(MemoryFilter(include_superseded=True)) == {old, new, piece.id}
    assert listed(MemoryFilter(include_superseded=True, include_chunks=False)) == {old, new}


# --- supersede --------------------------------------------------------------------------------
def test_supersede_closes_the_old_memory_and_links_the_new_one(store: Store) -> None:
    old, new = insert(store, "deploy with make deploy", "deploy with make release")
    store.supersede(old, new, T1)
    closed = store.get_memory(old)
    assert closed is not None
    assert (closed.valid_to, closed.superseded_by, closed.updated_at) == (T1, new, T1)
    assert not closed.is_current
    current = store.get_memory(new)
    assert current is not None and current.is_current and current.superseded_by is None
    (edge,) = store.memory_records([new])[new].relations
    assert (edge.source_id, edge.target_id, edge.relation) == (new, old, Relation.SUPERSEDES)
    assert found_by_words(store, "deploy", MemoryFilter()) == [new]
    assert set(found_by_words(store, "deploy")) == {old, new}  # history stays searchable
    # The old text is history now: remembering it again is a new, current memory.
    (again,) = store.insert_memories([memory("deploy with make deploy")])
    assert again.created and again.id != old


def test_supersede_refuses_missing_memories_and_itself(store: Store) -> None:
    (memory_id,) = insert(store, "alone")
    with pytest.raises(NotFoundError):
        store.supersede(memory_id, "nope", T1)
    with pytest.raises(NotFoundError):
        store.supersede("nope", memory_id, T1)
    with pytest.raises(ConflictError):
        store.supersede(memory_id, memory_id, T1)
    still = store.get_memory(memory_id)
    assert still is not None and still.is_current and store.stats().edges == 0
