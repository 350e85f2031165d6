"""SessionStore: sessions, their conversations, messages (memories that only filters asking for
them find), summarising and handoffs. Session records and deleting are in
``test_session_records.py``; costs, telemetry and retention in ``test_session_telemetry.py``."""

from __future__ import annotations

from dataclasses import replace

import pytest

from memvault.core.errors import ConflictError, NotFoundError
from memvault.core.records import MemoryFilter, MemoryPatch, MessageScope
from memvault.core.session_records import Role, SessionStatus
from memvault.core.terms import parse_query
from memvault.storage.roles import Store
from tests.storage.contract.helpers import (
    EVERYTHING,
    HASH,
    chunk,
    embed_pending,
    file_record,
    insert,
)
from tests.storage.contract.session_helpers import (
    MESSAGES,
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


# --- sessions ---------------------------------------------------------------------------------
def test_a_session_reads_back_exactly_as_put(store: Store) -> None:
    written = session(
        user="ana",
        project="shop",
        agent="coder",
        title="Fix the checkout",
        status=SessionStatus.ENDED,
        started_at=at(0),
        last_active_at=at(30),
        ended_at=at(31),
        metadata={"ticket": "SHOP-9", "nested": {"n": [1, 2]}, "unicode": "größe"},
    )
    store.put_session(written)
    assert store.get_session(written.id) == written
    assert store.get_session("nope") is None
    bare = session(user=None, project=None, agent=None)
    store.put_session(bare)
    assert store.get_session(bare.id) == bare


def test_putting_a_session_again_replaces_its_fields(store: Store) -> None:
    first, _ = start(store, title="draft", metadata={"a": 1})
    changed = replace(
        first,
        title="final",
        status=SessionStatus.ENDED,
        last_active_at=at(9),
        ended_at=at(10),
        metadata={"b": 2},
    )
    store.put_session(changed)
    assert store.get_session(first.id) == changed
    assert store.list_sessions() == [changed]
    assert len(store.conversations(first.id)) == 1  # its conversations stay


def test_sessions_are_listed_most_recently_active_first_and_page(store: Store) -> None:
    minutes = [5, 1, 7, 3, 6, 2, 4]
    by_minute = {}
    for minute in minutes:
        put = session(last_active_at=at(minute))
        store.put_session(put)
        by_minute[minute] = put.id
    newest_first = [by_minute[m] for m in sorted(minutes, reverse=True)]
    assert [s.id for s in store.list_sessions()] == newest_first
    pages = [store.list_sessions(limit=3, offset=o) for o in (0, 3, 6, 9)]
    assert [[s.id for s in page] for page in pages] == [
        newest_first[:3],
        newest_first[3:6],
        newest_first[6:],
        [],
    ]


def test_session_filters_combine(store: Store) -> None:
    a = session(user="ana", project="shop", agent="coder", last_active_at=at(1))
    b = session(user="ana", project="blog", agent="writer", status=SessionStatus.PAUSED)
    c = session(user="bo", project="shop", agent="coder", status=SessionStatus.ENDED)
    d = session(user="bo", project="shop", agent="writer", status=SessionStatus.ARCHIVED)
    for each in (a, b, c, d):
        store.put_session(each)

    def listed(**where: object) -> set[str]:
        return {s.id for s in store.list_sessions(**where)}  # type: ignore[arg-type]

    assert listed() == {a.id, b.id, c.id, d.id}
    assert listed(user="ana") == {a.id, b.id}
    assert listed(project="shop") == {a.id, c.id, d.id}
    assert listed(agent="writer") == {b.id, d.id}
    assert listed(user="bo", project="shop", agent="coder") == {c.id}
    assert listed(statuses=[SessionStatus.ACTIVE, SessionStatus.PAUSED]) == {a.id, b.id}
    assert listed(statuses=[SessionStatus.ARCHIVED], user="bo") == {d.id}
    assert listed(user="nobody") == set()


def test_sessions_are_shared_between_instances(store: Store, second_store: Store) -> None:
    opened, talk = start(store)
    said = say(store, talk, "written by the first instance")
    assert second_store.get_session(opened.id) == store.get_session(opened.id)
    assert second_store.messages(opened.id) == said


# --- conversations ----------------------------------------------------------------------------
def test_conversations_are_kept_per_session_oldest_first(store: Store) -> None:
    mine, other = session(), session()
    store.put_session(mine)
    store.put_session(other)
    late = conversation(mine, title="later", started_at=at(20), metadata={"tool": "ide"})
    early = conversation(mine, title="first", started_at=at(5))
    elsewhere = conversation(other)
    for each in (late, early, elsewhere):
        store.put_conversation(each)
    assert store.conversations(mine.id) == [early, late]
    assert store.conversations(other.id) == [elsewhere]
    assert store.conversations("nope") == []


def test_a_conversation_needs_its_session(store: Store) -> None:
    orphan = conversation(session())
    with pytest.raises(NotFoundError):
        store.put_conversation(orphan)
    assert store.conversations(orphan.session_id) == []


def test_a_conversation_stays_with_its_session(store: Store) -> None:
    mine, talk = start(store)
    other = session()
    store.put_session(other)
    with pytest.raises(ConflictError):
        store.put_conversation(replace(talk, session_id=other.id))
    assert store.conversations(mine.id) == [talk] and store.conversations(other.id) == []


# --- logging messages -------------------------------------------------------------------------
def test_logged_messages_read_back_in_order_and_are_memories(store: Store) -> None:
    opened, talk = start(store)
    said = [
        message(talk, "how do refunds work?", created_at=at(3), role=Role.USER, tokens=5),
        message(talk, "refunds go through stripe", created_at=at(1), role=Role.ASSISTANT),
        message(talk, "tool output: 200 OK", created_at=at(2), role=Role.TOOL, summarised=True),
    ]
    store.log_messages(opened.id, said, namespace="ops", embed=False)
    assert store.messages(opened.id) == said  # as logged, whatever their times
    stored = store.memories_by_id(ids(said))
    assert set(stored) == set(ids(said))
    for each in said:
        as_memory = stored[each.id]
        assert (as_memory.kind, as_memory.namespace, as_memory.session_id) == (
            "message",
            "ops",
            opened.id,
        )
        assert (as_memory.content, as_memory.created_at) == (each.content, each.created_at)
    assert store.get_memory(said[0].id) == stored[said[0].id]
    assert store.messages("nope") == []


def test_logging_makes_the_newest_message_the_last_activity(store: Store) -> None:
    opened, talk = start(store, title="kept", started_at=at(0), metadata={"k": "v"})
    store.log_messages(
        opened.id,
        [message(talk, "b", created_at=at(7)), message(talk, "a", created_at=at(4))],
        namespace=NAMESPACE,
        embed=False,
    )
    after = store.get_session(opened.id)
    assert after is not None and after.last_active_at == at(7)
    assert (after.title, after.started_at, after.metadata) == ("kept", at(0), {"k": "v"})
    say(store, talk, "an older message brought in late", first_minute=2)
    after = store.get_session(opened.id)
    assert after is not None and after.last_active_at == at(7)  # still the newest message's
    say(store, talk, "newest", first_minute=12)
    newer = store.get_session(opened.id)
    assert newer is not None and newer.last_active_at == at(12)


def test_embed_jobs_are_queued_only_when_asked(store: Store) -> None:
    _, talk = start(store)
    say(store, talk, "no job for me")
    assert store.job_counts().total == 0 and not store.has_pending_jobs()
    said = say(store, talk, "first", "second", embed=True)
    assert store.job_counts().queued == 2
    tasks = store.claim_embed_jobs("t:1:a", limit=10, lease_seconds=60)
    assert {t.memory_id: t.content for t in tasks} == {m.id: m.content for m in said}


@pytest.mark.parametrize("status", [SessionStatus.ENDED, SessionStatus.ARCHIVED])
def test_a_closed_session_refuses_messages_and_keeps_nothing(
    store: Store, status: SessionStatus
) -> None:
    opened, talk = start(store, last_active_at=at(0))
    store.put_session(replace(opened, status=status))
    late = [message(talk, "too late to say this", created_at=at(50))]
    with pytest.raises(ConflictError):
        store.log_messages(opened.id, late, namespace=NAMESPACE, embed=True)
    assert store.messages(opened.id) == [] and store.memories_by_id(ids(late)) == {}
    assert found(store, "late", WITH_MESSAGES) == set()
    assert store.job_counts().total == 0
    assert store.get_session(opened.id) == replace(opened, status=status)


def test_a_paused_session_still_takes_messages(store: Store) -> None:
    opened, talk = start(store, status=SessionStatus.PAUSED)
    said = say(store, talk, "back at it")
    assert store.messages(opened.id) == said
    after = store.get_session(opened.id)
    assert after is not None and after.is_open and after.last_active_at == said[0].created_at


def test_an_unknown_session_or_conversation_is_not_found_and_nothing_is_kept(
    store: Store,
) -> None:
    mine, talk = start(store, last_active_at=at(0))
    other, foreign = start(store)
    ghost = conversation(mine)  # never put
    batches = {
        "unknown session": ("nope", [message(talk, "lost", created_at=at(5))]),
        "conversation of another session": (
            mine.id,
            [message(talk, "fine", created_at=at(5)), message(foreign, "lost", created_at=at(6))],
        ),
        "unknown conversation": (
            mine.id,
            [message(talk, "fine", created_at=at(5)), message(ghost, "lost", created_at=at(6))],
        ),
    }
    for case, (session_id, batch) in batches.items():
        with pytest.raises(NotFoundError):
            store.log_messages(session_id, batch, namespace=NAMESPACE, embed=True)
        assert store.memories_by_id(ids(batch)) == {}, case
    assert store.messages(mine.id) == [] and store.messages(other.id) == []
    assert store.get_session(mine.id) == mine  # its last activity did not move
    assert store.job_counts().total == 0
    assert store.list_memories(MESSAGES, limit=10) == []


def test_the_same_words_twice_are_two_messages(store: Store) -> None:
    opened, talk = start(store)
    twice = say(store, talk, "yes, do it", "yes, do it")
    again = say(store, talk, "yes, do it", first_minute=5)
    said = twice + again
    assert store.messages(opened.id) == said and len(set(ids(said))) == 3
    assert found(store, "do it") == set(ids(said))
    # Nor are memories of their own deduplicated against what was said, or the other way round.
    (own,) = insert(store, "yes, do it", namespace=NAMESPACE)
    assert own not in ids(said)
    after = say(store, talk, "yes, do it", first_minute=9)
    assert after[0].id != own and store.get_memory(own) is not None
    assert found(store, "do it", WITH_MESSAGES) == {own, *ids(said), after[0].id}
    (other,) = insert(store, "no, wait", namespace=NAMESPACE)
    store.delete_memory(own)
    changed = store.update_memory(other, MemoryPatch(content="yes, do it"), at(20))
    assert changed.content == "yes, do it"  # what was said does not block a memory's text


def test_an_empty_batch_changes_nothing(store: Store) -> None:
    opened, _ = start(store, last_active_at=at(3))
    store.log_messages(opened.id, [], namespace=NAMESPACE, embed=True)
    assert store.get_session(opened.id) == opened
    assert store.messages(opened.id) == [] and store.job_counts().total == 0


# --- messages in searches and listings --------------------------------------------------------
def test_messages_are_found_by_keyword_only_when_the_filter_asks(store: Store) -> None:
    (own,) = insert(store, "we deploy with make release", namespace=NAMESPACE)
    note = file_record("deploy.md", namespace=NAMESPACE)
    piece = chunk(note, "deploy checklist in a note", 1)
    store.put_document(note, [piece], embed=False)
    _, talk = start(store)
    (said,) = say(store, talk, "can we deploy on fridays?")
    (elsewhere,) = say(store, talk, "deploy the blog too", namespace="blog", first_minute=5)

    def hits(where: MemoryFilter) -> set[str]:
        return found(store, "deploy", where)

    assert hits(MemoryFilter()) == {own, piece.id}
    assert hits(EVERYTHING) == {own, piece.id}
    assert hits(MemoryFilter(include_chunks=False)) == {own}
    assert hits(WITH_MESSAGES) == {own, piece.id, said.id, elsewhere.id}
    assert hits(MESSAGES) == {said.id, elsewhere.id}
    assert hits(MemoryFilter(messages=MessageScope.ONLY, namespace=NAMESPACE)) == {said.id}
    assert hits(MemoryFilter(messages=MessageScope.INCLUDE, kinds=("message",))) == {
        said.id,
        elsewhere.id,
    }


def test_a_session_id_narrows_a_search_to_that_sessions_messages(store: Store) -> None:
    insert(store, "refund policy memory", namespace=NAMESPACE)
    mine, talk = start(store)
    _, other_talk = start(store)
    said = say(store, talk, "refund the order", "refund it twice?")
    say(store, other_talk, "refund something else")
    for scope in (MessageScope.ONLY, MessageScope.INCLUDE):
        where = MemoryFilter(messages=scope, session_id=mine.id)
        assert found(store, "refund", where) == set(ids(said)), scope
    assert found(store, "refund", MemoryFilter(messages=MessageScope.ONLY, session_id="x")) == set()


def test_messages_are_found_by_vector_only_when_the_filter_asks(store: Store) -> None:
    (own,) = insert(store, "the cache is redis", namespace=NAMESPACE, embed=True)
    mine, talk = start(store)
    _, other_talk = start(store)
    (said,) = say(store, talk, "is the cache redis?", embed=True)
    (other,) = say(store, other_talk, "redis cache again", embed=True)
    assert embed_pending(store) == 3
    query = HASH.embed_query("redis cache")

    def near(where: MemoryFilter) -> set[str]:
        return {i for i, _ in store.vector_search(query, where, limit=10)}

    assert near(MemoryFilter()) == near(EVERYTHING) == {own}
    assert near(WITH_MESSAGES) == {own, said.id, other.id}
    assert near(MESSAGES) == {said.id, other.id}
    assert near(MemoryFilter(messages=MessageScope.ONLY, session_id=mine.id)) == {said.id}


def test_messages_are_not_listed_as_memories_of_their_own(store: Store) -> None:
    first, second = insert(store, "one", "two", namespace=NAMESPACE)
    _, talk = start(store)
    said = say(store, talk, "a message", "another message")
    assert {m.id for m in store.list_memories(MemoryFilter(), limit=10)} == {first, second}
    assert {m.id for m in store.list_memories(EVERYTHING, limit=10)} == {first, second}
    own = MemoryFilter(include_chunks=False)
    assert {m.id for m in store.list_memories(own, limit=10)} == {first, second}
    assert [m.id for m in store.list_memories(MESSAGES, limit=10)] == list(reversed(ids(said)))
    assert len(store.list_memories(WITH_MESSAGES, limit=10)) == 4
    assert store.memories_without_file(10) == [first, second]


def test_many_messages_do_not_crowd_memories_out_of_a_search(store: Store) -> None:
    # Hundreds of messages that match better must not push the few memories out of a default
    # search, nor those memories the messages out of a search of messages.
    _, talk = start(store)
    crowd = say(store, talk, *(f"retry retry retry message {n}" for n in range(300)))
    few = insert(store, *(f"retry once in a much longer memory {n} of words" for n in range(3)))
    assert found(store, "retry", MemoryFilter()) == set(few)
    hits = store.keyword_search(parse_query("retry"), MemoryFilter(), limit=3)
    assert {i for i, _ in hits} == set(few)
    best = store.keyword_search(parse_query("retry"), MESSAGES, limit=5)
    assert {i for i, _ in best} <= set(ids(crowd)) and len(best) == 5


# --- reading messages back --------------------------------------------------------------------
def test_messages_filter_by_conversation_and_unsummarised_and_page(store: Store) -> None:
    opened, talk = start(store)
    side = conversation(opened, title="side", started_at=at(1))
    store.put_conversation(side)
    said = [
        message(talk if n % 2 == 0 else side, f"message {n}", created_at=at(n), summarised=n < 3)
        for n in range(8)
    ]
    store.log_messages(opened.id, said, namespace=NAMESPACE, embed=False)
    assert store.messages(opened.id) == said
    assert store.messages(opened.id, conversation_id=side.id) == said[1::2]
    assert store.messages(opened.id, unsummarised=True) == said[3:]
    assert store.messages(opened.id, conversation_id=talk.id, unsummarised=True) == [
        said[4],
        said[6],
    ]
    pages = [store.messages(opened.id, limit=3, offset=o) for o in (0, 3, 6, 9)]
    assert pages == [said[:3], said[3:6], said[6:], []]
    assert store.messages(opened.id, conversation_id="nope") == []


def test_mark_summarised_marks_a_subset_or_all_and_counts_changes(store: Store) -> None:
    opened, talk = start(store)
    said = say(store, talk, "a", "b", "c", "d")
    _, other_talk = start(store)
    (foreign,) = say(store, other_talk, "not yours")
    assert store.mark_summarised(opened.id, [said[0].id, said[2].id]) == 2
    assert store.mark_summarised(opened.id, [said[0].id]) == 0  # already summarised
    assert store.mark_summarised(opened.id, [foreign.id, "nope"]) == 0
    assert [m.summarised for m in store.messages(opened.id)] == [True, False, True, False]
    assert store.messages(other_talk.session_id) == [foreign]
    assert store.mark_summarised(opened.id, None) == 2
    assert store.messages(opened.id, unsummarised=True) == []
    assert store.mark_summarised(opened.id, None) == 0
    assert store.mark_summarised(opened.id, []) == 0
    with pytest.raises(NotFoundError):
        store.mark_summarised("nope", None)


# --- handoffs ---------------------------------------------------------------------------------
def test_handoffs_are_newest_first_with_their_session(store: Store) -> None:
    a, b = session(project="shop"), session(project="shop", user="bo")
    c = session(project="blog")
    for each in (a, b, c):
        store.put_session(each)
    a1 = handoff(
        a,
        "fixed the cart",
        created_at=at(10),
        stopped_at="checkout.py:42",
        next_steps=("write tests", "deploy"),
        open_questions=("which coupon wins?",),
        touched=("m-1", "m-2"),
    )
    a2 = handoff(a, "wrote the tests", created_at=at(30))
    b1 = handoff(b, "looked at refunds", created_at=at(20))
    c1 = handoff(c, "blog post drafted", created_at=at(40))
    for given in (a1, b1, a2, c1):
        store.put_handoff(given)
    assert store.handoffs(session_id=a.id) == [(a, a2), (a, a1)]
    assert store.handoffs(project="shop") == [(a, a2), (b, b1), (a, a1)]
    assert store.handoffs(project="shop", limit=2) == [(a, a2), (b, b1)]
    assert store.handoffs(project="blog") == [(c, c1)]
    assert store.handoffs(session_id=a.id, project="blog") == []
    assert store.handoffs(session_id="nope") == [] and store.handoffs(project="none") == []


def test_a_handoff_needs_its_session(store: Store) -> None:
    lost = handoff(session(), "done nothing", created_at=at(1))
    with pytest.raises(NotFoundError):
        store.put_handoff(lost)
    assert store.handoffs(session_id=lost.session_id) == []
