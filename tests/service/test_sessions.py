"""The session layer through the public API: start, log, handoff, end, read, search, costs, and
bad input that is one clear error and writes nothing."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import memvault
from memvault.core.errors import InvalidInputError, NotFoundError
from memvault.core.session_records import MessageDraft, Role, SessionStatus
from memvault.service.sessions import CostDraft, HandoffDraft
from memvault.service.vault import Vault


def test_a_session_from_start_to_handoff(vault: Vault) -> None:
    session = vault.sessions.start(project="memvault", user="ana", agent="claude", title="FTS")
    assert session.status is SessionStatus.ACTIVE
    logged = vault.sessions.log(
        session.id,
        [
            "How are snake_case names split?",
            MessageDraft(
                "By their parts: parse_config is parse config", role="assistant", tokens=9
            ),
        ],
        costs=[CostDraft("claude-x", 120, 40, 0.012)],
    )
    assert [m.role for m in logged] == [Role.USER, Role.ASSISTANT]
    assert logged[0].tokens > 0 and logged[1].tokens == 9  # counted when the agent did not say
    ended = vault.sessions.end(
        session.id,
        handoff=HandoffDraft("split snake_case", "camelCase tests red", ("fix camelCase",)),
    )
    assert ended.status is SessionStatus.ENDED and ended.ended_at is not None
    record = vault.sessions.show(session.id)
    assert [m.content for m in record.messages] == [m.content for m in logged]
    assert record.handoffs[0].next_steps == ("fix camelCase",)
    ((_, handoff),) = vault.sessions.handoffs(project="memvault")
    assert handoff == record.handoffs[0]
    (total,) = vault.sessions.costs("project")
    assert (total.key, total.calls, total.input_tokens, total.usd) == ("memvault", 1, 120, 0.012)
    assert vault.stats().sessions == 1 and vault.stats().messages == 2


def test_messages_are_searched_apart_from_memories(vault: Vault) -> None:
    vault.remember("The deploy runbook lives in ops/deploy.md")
    session = vault.sessions.start(project="ops")
    vault.sessions.log(session.id, ["where is the deploy runbook?"])
    assert [h.memory.kind for h in vault.search("deploy runbook")] == ["fact"]
    hits = vault.sessions.search("deploy runbook", mode="keyword")
    assert [h.memory.content for h in hits] == ["where is the deploy runbook?"]
    assert hits[0].memory.session_id == session.id
    assert vault.sessions.search("deploy runbook", project="other", mode="keyword") == []
    assert vault.list() == vault.list(kinds=["fact"])  # a message is not a memory of its own


def test_the_same_words_twice_are_two_messages(vault: Vault) -> None:
    session = vault.sessions.start()
    vault.sessions.log(session.id, ["ok", "ok"])
    assert [m.content for m in vault.sessions.messages(session.id)] == ["ok", "ok"]


def test_a_message_is_changed_only_through_its_session(vault: Vault) -> None:
    session = vault.sessions.start()
    (message,) = vault.sessions.log(session.id, ["as it was said"])
    for change in (
        lambda: vault.update(message.id, content="rewritten"),
        lambda: vault.forget(message.id),
        lambda: vault.validate(message.id, "refute"),
    ):
        with pytest.raises(InvalidInputError, match="is a message of session"):
            change()
    assert vault.sessions.messages(session.id)[0].content == "as it was said"


def test_pause_resume_and_a_new_conversation(vault: Vault) -> None:
    session = vault.sessions.start()
    assert vault.sessions.pause(session.id).status is SessionStatus.PAUSED
    assert vault.sessions.resume(session.id).status is SessionStatus.ACTIVE
    second = vault.sessions.new_conversation(session.id, title="review")
    vault.sessions.log(session.id, [MessageDraft("in the review", conversation_id=second.id)])
    record = vault.sessions.show(session.id)
    assert [c.title for c in record.conversations] == [None, "review"]
    assert record.messages[0].conversation_id == second.id


def test_delete_takes_everything_of_the_session(vault: Vault) -> None:
    kept = vault.remember("a memory of its own").id
    session = vault.sessions.start(project="p")
    vault.sessions.log(session.id, ["said once"], costs=[CostDraft("m", 1, 1, 0.5)])
    vault.sessions.end(session.id, handoff=HandoffDraft("done"))
    vault.sessions.delete(session.id)
    with pytest.raises(NotFoundError):
        vault.sessions.get(session.id)
    assert vault.sessions.search("said once", mode="keyword") == []
    assert vault.sessions.costs() == [] and vault.sessions.handoffs() == []
    assert vault.get(kept).content == "a memory of its own"
    assert vault.check().ok


def nothing_changed(vault: Vault, session_id: str, messages: int) -> None:
    assert len(vault.sessions.messages(session_id)) == messages
    assert vault.sessions.costs() == []


@pytest.mark.parametrize(
    ("messages", "costs", "error"),
    [
        (["fine", MessageDraft("x", tokens=-1)], [], "tokens must be a whole number"),
        (["fine", MessageDraft("x", role="robot")], [], "role 'robot' is not one of"),
        (["fine", ""], [], "content is empty"),
        (["fine", "x" * 1_000_001], [], "the limit for one memory is"),
        (["fine", "bad \udcff utf-8"], [], "not valid UTF-8"),
        (["fine", MessageDraft("x", conversation_id="nowhere")], [], "no conversation"),
        (["fine"], [CostDraft("m", 1, 1, -0.5)], "at least 0"),
        (["fine"], [CostDraft("m", 1, 1, math.nan)], "finite"),
        (["fine"], [CostDraft("m", -3, 1, 0.1)], "input_tokens must be"),
        (["fine"], [CostDraft("", 1, 1, 0.1)], "needs the model"),
    ],
)
def test_bad_input_is_one_error_and_writes_nothing(
    vault: Vault, messages: list[MessageDraft | str], costs: list[CostDraft], error: str
) -> None:
    session = vault.sessions.start()
    vault.sessions.log(session.id, ["before"])
    with pytest.raises(memvault.MemvaultError, match=error):
        vault.sessions.log(session.id, messages, costs=costs)
    nothing_changed(vault, session.id, 1)


def test_an_ended_or_unknown_session_takes_no_more_messages(vault: Vault) -> None:
    session = vault.sessions.start()
    vault.sessions.end(session.id)
    with pytest.raises(InvalidInputError, match="is ended: start a new session"):
        vault.sessions.log(session.id, ["too late"])
    with pytest.raises(InvalidInputError, match="is ended already"):
        vault.sessions.end(session.id)
    with pytest.raises(NotFoundError, match="no session with id nope"):
        vault.sessions.log("nope", ["hello"])
    nothing_changed(vault, session.id, 0)


def test_a_bad_handoff_leaves_the_session_open(vault: Vault) -> None:
    session = vault.sessions.start()
    with pytest.raises(InvalidInputError, match="content is empty"):
        vault.sessions.end(session.id, handoff=HandoffDraft("   "))
    assert vault.sessions.get(session.id).status is SessionStatus.ACTIVE
    assert vault.sessions.handoffs() == []


def test_listing_filters_and_orders_by_activity(vault: Vault) -> None:
    a = vault.sessions.start(project="p", agent="claude")
    b = vault.sessions.start(project="p", agent="codex")
    c = vault.sessions.start(project="q", agent="claude")
    vault.sessions.log(a.id, ["a is the latest active"])
    vault.sessions.end(c.id)
    assert [s.id for s in vault.sessions.list()] == [c.id, a.id, b.id]
    assert [s.id for s in vault.sessions.list(project="p")] == [a.id, b.id]
    assert [s.id for s in vault.sessions.list(agent="claude", statuses=["ended"])] == [c.id]
    with pytest.raises(InvalidInputError, match="status 'gone' is not one of"):
        vault.sessions.list(statuses=["gone"])


def test_db_only_sessions_work_without_a_folder(tmp_path: Path) -> None:
    with memvault.open(tmp_path / "only.db", background=False) as vault:
        session = vault.sessions.start(project="p")
        vault.sessions.log(session.id, ["kept in the database"])
        vault.sessions.end(session.id, handoff=HandoffDraft("done"))
        assert vault.sessions.show(session.id).handoffs[0].done == "done"
        assert vault.folder is None and vault.check().ok


def test_messages_are_embedded_and_found_by_vector_search(vault: Vault) -> None:
    session = vault.sessions.start(project="p")
    vault.sessions.log(session.id, ["the okapi is a forest giraffe", "tea at four"])
    vault.remember("the okapi is a forest giraffe")  # the same words as a memory of its own
    counts = vault.wait_for_jobs()
    assert counts.done == 3 and counts.pending == 0
    hits = vault.sessions.search("the okapi is a forest giraffe", mode="vector", k=1)
    assert [(h.memory.kind, h.memory.session_id) for h in hits] == [("message", session.id)]
    assert [h.memory.kind for h in vault.search("okapi forest", mode="vector", k=5)] == ["fact"]
