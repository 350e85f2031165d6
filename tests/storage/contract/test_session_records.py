"""SessionStore: the record a session file holds, putting a file's record back (messages added,
changed and removed by id), and deleting a session with everything of it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from memvault.core.errors import ConflictError, NotFoundError
from memvault.core.records import MemoryFilter, MessageScope
from memvault.core.session_records import (
    AgentInteraction,
    CostEntry,
    CostGrouping,
    Role,
    SessionRecord,
    SessionStatus,
)
from memvault.storage.roles import Store
from tests.storage.contract.helpers import HASH, embed_pending, insert
from tests.storage.contract.session_helpers import (
    NAMESPACE,
    WITH_MESSAGES,
    at,
    conversation,
    found,
    handoff,
    ids,
    message,
    say,
    session,
    start,
)


# --- session records --------------------------------------------------------------------------
def test_a_session_record_holds_everything_a_file_holds(store: Store) -> None:
    opened, talk = start(store)
    side = conversation(opened, started_at=at(2))
    store.put_conversation(side)
    said = say(store, talk, "first words")
    said += [message(side, "on the side", created_at=at(5), role=Role.ASSISTANT)]
    store.log_messages(opened.id, said[1:], namespace=NAMESPACE, embed=False)
    later, earlier = handoff(opened, "b", created_at=at(9)), handoff(opened, "a", created_at=at(8))
    store.put_handoff(later)
    store.put_handoff(earlier)
    now = store.get_session(opened.id)
    assert now is not None
    assert store.session_record(opened.id) == SessionRecord(
        now, (talk, side), tuple(said), (earlier, later)
    )
    assert store.session_record("nope") is None


def test_a_record_put_into_an_empty_store_reads_back_equal(store: Store) -> None:
    opened = session(title="from a file", status=SessionStatus.ENDED, last_active_at=at(9))
    talk, side = conversation(opened), conversation(opened, started_at=at(3))
    record = SessionRecord(
        opened,
        (talk, side),
        (
            message(talk, "restored question", created_at=at(1)),
            message(side, "restored answer", created_at=at(4), role=Role.ASSISTANT),
            message(talk, "restored question", created_at=at(6), summarised=True),
        ),
        (handoff(opened, "restored handoff", created_at=at(9), next_steps=("go on",)),),
    )
    store.put_session_record(record, namespace=NAMESPACE, embed=True)
    assert store.session_record(opened.id) == record
    assert found(store, "restored") == {m.id for m in record.messages}
    assert store.job_counts().queued == 3
    store.put_session_record(record, namespace=NAMESPACE, embed=True)  # again: nothing changes
    assert store.session_record(opened.id) == record and store.job_counts().queued == 3


def test_putting_a_record_adds_updates_and_removes_messages_by_id(store: Store) -> None:
    opened, talk = start(store)
    side = conversation(opened, started_at=at(1))
    store.put_conversation(side)
    kept, edited, dropped, moved = say(store, talk, "kept", "typo here", "dropped", "moved")
    store.put_handoff(handoff(opened, "old handoff", created_at=at(20)))
    before = store.session_record(opened.id)
    assert before is not None

    fixed = replace(edited, content="corrected wording")
    relabelled = replace(moved, conversation_id=side.id, role=Role.SYSTEM, tokens=99)
    added = message(side, "added by hand", created_at=at(30), summarised=True)
    new_handoff = handoff(opened, "new handoff", created_at=at(40), next_steps=("ship",))
    record = SessionRecord(
        replace(before.session, title="edited in the file"),
        (talk,),  # ``side`` is left out of the file: conversations are kept regardless
        (kept, fixed, relabelled, added),
        (new_handoff,),
    )
    store.put_session_record(record, namespace=NAMESPACE, embed=False)

    after = store.session_record(opened.id)
    assert after is not None
    assert after == replace(record, conversations=(talk, side))
    assert store.messages(opened.id) == [kept, fixed, relabelled, added]
    assert found(store, "corrected wording") == {edited.id}
    assert found(store, "typo") == set() and found(store, "dropped") == set()
    assert store.memories_by_id([dropped.id]) == {}
    stored = store.get_memory(edited.id)
    assert stored is not None and stored.content == "corrected wording"
    assert store.handoffs(session_id=opened.id) == [(record.session, new_handoff)]


def test_a_changed_message_loses_its_vector_and_is_queued_only_when_asked(store: Store) -> None:
    opened, talk = start(store)
    first, second = say(store, talk, "the cache is redis", "the queue is sqs", embed=True)
    embed_pending(store)
    assert set(store.vectors_of([first.id, second.id])) == {first.id, second.id}
    record = store.session_record(opened.id)
    assert record is not None
    changed = (replace(first, content="the cache is memcached"), replace(second, content="x y"))
    first_only = replace(record, messages=(changed[0], second))
    store.put_session_record(first_only, namespace=NAMESPACE, embed=False)
    assert set(store.vectors_of([first.id, second.id])) == {second.id}
    assert store.job_counts().queued == 0
    store.put_session_record(replace(record, messages=changed), namespace=NAMESPACE, embed=True)
    tasks = store.claim_embed_jobs("t:1:a", limit=10, lease_seconds=60)
    assert {t.memory_id: t.content for t in tasks} == {second.id: "x y"}
    assert store.check().ok


def test_putting_a_record_keeps_its_messages_in_the_namespace_given(store: Store) -> None:
    opened, talk = start(store)
    said = say(store, talk, "where do I live")
    record = store.session_record(opened.id)
    assert record is not None
    store.put_session_record(record, namespace="moved", embed=False)
    moved = MemoryFilter(messages=MessageScope.ONLY, namespace="moved")
    left = MemoryFilter(messages=MessageScope.ONLY, namespace=NAMESPACE)
    assert found(store, "live", moved) == {said[0].id} and found(store, "live", left) == set()
    stored = store.get_memory(said[0].id)
    assert stored is not None and stored.namespace == "moved"


def test_a_message_added_between_others_reads_back_in_its_place(store: Store) -> None:
    # A person inserts a message between two in the session file, or moves one: the session is
    # to equal its file, so the next render must not move their edit to the end.
    opened, talk = start(store)
    first, third = say(store, talk, "first words", "third words", first_minute=1)
    record = store.session_record(opened.id)
    assert record is not None
    second = message(talk, "second words", created_at=at(1))
    edited = replace(record, messages=(first, second, third))
    store.put_session_record(edited, namespace=NAMESPACE, embed=False)
    in_order = ["first words", "second words", "third words"]
    assert [m.content for m in store.messages(opened.id)] == in_order
    assert store.session_record(opened.id) == edited


def test_a_changed_message_time_is_what_reads_back(store: Store) -> None:
    opened, talk = start(store)
    said, other = say(store, talk, "said at one", "said at two", first_minute=1)
    record = store.session_record(opened.id)
    assert record is not None
    retimed = replace(said, created_at=at(0))
    edited = replace(record, messages=(retimed, other))
    store.put_session_record(edited, namespace=NAMESPACE, embed=False)
    assert [m.created_at for m in store.messages(opened.id)] == [at(0), at(2)]
    stored = store.get_memory(said.id)
    assert stored is not None and stored.created_at == at(0)  # what a time filter sees
    assert store.session_record(opened.id) == edited


def test_a_record_that_cannot_be_applied_changes_nothing(store: Store) -> None:
    opened, talk = start(store, title="before")
    say(store, talk, "kept as it was")
    _, foreign = start(store)
    before = store.session_record(opened.id)
    assert before is not None
    stray = conversation(opened)  # neither in the store nor in the record
    bad_records = [
        replace(  # a conversation of another session
            before,
            session=replace(before.session, title="after"),
            conversations=(*before.conversations, replace(foreign, session_id=opened.id)),
        ),
        replace(  # a message in a conversation the session does not have
            before,
            session=replace(before.session, title="after"),
            messages=(*before.messages, message(stray, "lost", created_at=at(9))),
        ),
    ]
    for bad in bad_records:
        with pytest.raises((ConflictError, NotFoundError)):
            store.put_session_record(bad, namespace=NAMESPACE, embed=True)
        assert store.session_record(opened.id) == before
    assert found(store, "lost") == set() and store.job_counts().total == 0


# --- deleting a session -----------------------------------------------------------------------
def test_deleting_a_session_takes_everything_of_it_and_nothing_else(store: Store) -> None:
    (own,) = insert(store, "an ordinary memory about invoices", namespace=NAMESPACE, embed=True)
    gone, gone_talk = start(store)
    kept, kept_talk = start(store)
    side = conversation(gone, started_at=at(1))
    store.put_conversation(side)
    lost = say(store, gone_talk, "invoices are late", embed=True)
    lost += [message(side, "invoices again", created_at=at(9))]
    store.log_messages(gone.id, lost[1:], namespace=NAMESPACE, embed=True)
    stays = say(store, kept_talk, "invoices are fine", embed=True)
    embed_pending(store)
    for each in (gone, kept):
        store.put_handoff(handoff(each, "done", created_at=at(30)))
        store.log_costs([CostEntry(each.id, "m", 10, 5, 0.5, at(30))])
        work = AgentInteraction(f"i-{each.id}", each.id, "agent", "task", at(30))
        store.log_telemetry(interactions=[work])

    assert store.delete_session(gone.id) is True
    assert store.get_session(gone.id) is None and store.conversations(gone.id) == []
    assert store.messages(gone.id) == [] and store.session_record(gone.id) is None
    assert store.memories_by_id(ids(lost)) == {} and store.vectors_of(ids(lost)) == {}
    query = HASH.embed_query("invoices")
    assert {i for i, _ in store.vector_search(query, WITH_MESSAGES, limit=10)} == {own, stays[0].id}
    assert found(store, "invoices", WITH_MESSAGES) == {own, stays[0].id}
    assert [s.id for s, _ in store.handoffs(project="shop")] == [kept.id]
    assert [t.key for t in store.cost_totals(CostGrouping.SESSION)] == [kept.id]
    assert store.session_record(kept.id) is not None and store.messages(kept.id) == stays
    assert len(store.session_telemetry(kept.id)[0]) == 1
    with pytest.raises(NotFoundError):
        store.session_telemetry(gone.id)
    assert store.get_memory(own) is not None
    assert store.delete_session(gone.id) is False and store.delete_session("nope") is False
    assert store.check().ok
