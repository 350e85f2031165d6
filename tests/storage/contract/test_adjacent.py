"""SearchIndex.adjacent_messages: the turns said around a hit, for search's adjacent-turn step."""

from __future__ import annotations

from dataclasses import replace

from memvault.core.records import MemoryFilter, MessageScope
from memvault.storage.roles import Store
from tests.storage.contract.helpers import insert
from tests.storage.contract.session_helpers import MESSAGES, conversation, ids, say, start


def test_the_turns_within_the_span_of_a_message_nearest_first(store: Store) -> None:
    _, first = start(store)
    turns = ids(say(store, first, *(f"turn {n}" for n in range(7))))
    found = store.adjacent_messages([turns[3]], MESSAGES, span=2)
    assert found == {
        turns[3]: [(turns[2], 1), (turns[4], 1), (turns[1], 2), (turns[5], 2)],
    }
    edge = store.adjacent_messages([turns[0], turns[6]], MESSAGES, span=1)
    assert edge == {turns[0]: [(turns[1], 1)], turns[6]: [(turns[5], 1)]}


def test_other_conversations_memories_and_filtered_turns_are_no_neighbours(store: Store) -> None:
    opened, first = start(store)
    here = ids(say(store, first, "one", "two", "three"))
    other = conversation(opened)
    store.put_conversation(other)
    there = ids(say(store, other, "elsewhere", first_minute=10))
    _, unrelated = start(store)
    say(store, unrelated, "another session", first_minute=20)
    own = insert(store, "a memory of its own")
    found = store.adjacent_messages([*here, *there, *own], MESSAGES, span=5)
    assert found[here[1]] == [(here[0], 1), (here[2], 1)]
    # The other conversation's message is later in the session, but not in this conversation.
    assert {near for pairs in found.values() for near, _ in pairs} <= set(here)
    assert there[0] not in found and own[0] not in found
    # The filter a search runs under applies to the neighbours too.
    assert store.adjacent_messages(here, replace(MESSAGES, namespace="elsewhere"), span=1) == {}
    excluded = MemoryFilter(messages=MessageScope.EXCLUDE)
    assert store.adjacent_messages(here, excluded, span=1) == {}
    assert store.adjacent_messages(here, MESSAGES, span=0) == {}
    assert store.adjacent_messages([], MESSAGES, span=2) == {}
