"""The session tools through the SDK's in-process client: start with the context pack, log,
end with a handoff, search past messages; and bad input, which is one clear tool error that
writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from memvault.embedding.tokens import compact, count_tokens
from memvault.server.app import build_server
from memvault.server.budget import Budget
from memvault.server.tools.session_start import ENVELOPE
from memvault.service.vault import Vault
from tests.server.tool_client import call, fails, hint, raw, run


def nothing_logged(vault: Vault, session_id: str) -> None:
    assert vault.sessions.messages(session_id) == []
    assert vault.sessions.costs(session_id=session_id) == []
    assert vault.sessions.show(session_id).handoffs == ()


# --- the happy path ------------------------------------------------------------------------


def test_a_second_session_starts_from_the_first_ones_handoff(vault: Vault) -> None:
    decision = vault.remember(
        "we cache cart totals in redis_cache", kind="decision", namespace="shop"
    )

    async def scenario(client: Client) -> tuple[Any, Any]:
        first = await call(client, "session_start", project="shop", agent="claude", user="ana")
        assert set(first) == {"session", "context"}
        assert "no handoff of project shop yet" in first["context"]["left_out"]["handoff"]
        logged = await call(
            client,
            "session_log",
            session_id=first["session"],
            messages=[
                {"role": "user", "content": "why is checkout slow?"},
                {"role": "assistant", "content": "an N+1 query in cart_totals", "tokens": 9},
            ],
            costs=[{"model": "sonnet", "input_tokens": 900, "output_tokens": 300, "usd": 0.006}],
        )
        assert logged["logged"] == 2 and len(logged["ids"]) == 2
        hits = (await call(client, "session_search", query="cart_totals"))["hits"]
        assert hits[0]["id"] == logged["ids"][1]  # by its words (and by meaning, once embedded)
        assert hits[0]["session_id"] == first["session"] and hits[0]["project"] == "shop"
        ended = await call(
            client,
            "session_end",
            session_id=first["session"],
            done="found the N+1 query in cart totals",
            stopped_at="fix drafted, not tested",
            next_steps=["run the checkout tests"],
            open_questions=["cache totals?"],
            touched=[decision.id],
        )
        assert ended == {"ended": first["session"], "status": "ended"}
        second = await raw(client, "session_start", project="shop", agent="claude", query="cart")
        return first, second

    first, text = run(build_server(vault), scenario)
    assert count_tokens(text) <= Budget().tokens
    second = json.loads(text)
    assert second["session"] != first["session"]
    pack = second["context"]
    (handoff,) = pack["handoff"]
    assert handoff["id"] == first["session"]
    assert "found the N+1 query" in handoff["text"] and "run the checkout tests" in handoff["text"]
    assert [item["id"] for item in pack["recent"]] == [decision.id]
    # The decision the handoff touched and the recent section both name it: the work's subject.
    assert pack["entities"]["identifier"][0] == "redis_cache"
    assert pack["notice"].startswith("Recalled from memvault")
    costs = vault.sessions.costs(session_id=first["session"])
    assert [(c.calls, c.input_tokens, c.usd) for c in costs] == [(1, 900, 0.006)]
    assert vault.sessions.get(second["session"]).agent == "claude"


def test_the_pack_fills_the_response_budget_and_no_more(vault: Vault) -> None:
    for i in range(40):
        vault.remember(f"decision {i}: the shop uses framework_{i}", kind="decision")

    async def scenario(client: Client) -> list[str]:
        return [
            await raw(client, "session_start"),
            await raw(client, "session_start", budget=300),
            await raw(client, "session_start", budget=200, query="framework_3"),
        ]

    default, small, smallest = run(build_server(vault, Budget(700)), scenario)
    # The pack took its room (the response less the envelope) but for less than one item.
    assert 700 - ENVELOPE - 80 < count_tokens(default) <= 700
    assert count_tokens(small) <= 700
    parsed = json.loads(small)["context"]
    assert count_tokens(compact(parsed)) <= 300
    assert count_tokens(compact(json.loads(smallest)["context"])) <= 200


def test_the_pack_shrinks_when_the_envelope_takes_more_than_allowed_for(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(40):
        vault.remember(f"decision {i}: the shop uses framework_{i}", kind="decision")
    monkeypatch.setattr("memvault.server.tools.session_start.ENVELOPE", 0)

    async def scenario(client: Client) -> str:
        return await raw(client, "session_start", project="shop")

    assert count_tokens(run(build_server(vault, Budget(500)), scenario)) <= 500


def test_session_search_pages_by_cursor_within_the_budget(vault: Vault) -> None:
    session = vault.sessions.start(project="shop")
    words = "the parser tokenizer reads dotted.names and snake_case words " * 20
    vault.sessions.log(session.id, [f"message {i}: {words}" for i in range(12)])
    other = vault.sessions.start(project="blog")
    vault.sessions.log(other.id, [f"a blog message about the tokenizer {words}"])

    async def scenario(client: Client) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            args: dict[str, Any] = {"query": "tokenizer", "project": "shop", "limit": 5}
            text = await raw(
                client, "session_search", **args, **({"cursor": cursor} if cursor else {})
            )
            assert count_tokens(text) <= 400
            page = json.loads(text)
            seen += [hit["id"] for hit in page["hits"]]
            cursor = page.get("next_cursor")
            if cursor is None:
                return seen
            assert "different request" in await fails(
                client, "session_search", query="parser", cursor=cursor
            )

    seen = run(build_server(vault, Budget(400)), scenario)
    assert len(seen) == len(set(seen)) == 12
    assert set(seen) == {m.id for m in vault.sessions.messages(session.id)}


def test_session_log_reply_lists_the_ids_that_fit(vault: Vault) -> None:
    session = vault.sessions.start()

    async def scenario(client: Client) -> str:
        messages = [{"content": f"note {i}"} for i in range(200)]
        return await raw(client, "session_log", session_id=session.id, messages=messages)

    text = run(build_server(vault, Budget(300)), scenario)
    assert count_tokens(text) <= 300
    reply = json.loads(text)
    assert reply["logged"] == 200 and len(reply["ids"]) + reply["more_ids"] == 200
    logged = [m.id for m in vault.sessions.messages(session.id)]
    assert reply["ids"] == logged[: len(reply["ids"])]


# --- bad input: one clear error, nothing written -----------------------------------------------


def test_session_start_refuses_a_budget_out_of_range_and_starts_nothing(vault: Vault) -> None:
    async def scenario(client: Client) -> None:
        for budget in (0, 199, 2_001 - ENVELOPE, 100_000):
            message = await fails(client, "session_start", project="shop", budget=budget)
            assert f"budget must be from 200 to {2_000 - ENVELOPE:,} tokens" in message
        assert "not valid UTF-8" in await fails(client, "session_start", query="bad \udcff")
        assert "one line" in await fails(client, "session_start", title="two\nlines")
        assert "budget" in await fails(client, "session_start", budget="lots")

    run(build_server(vault), scenario)
    assert vault.sessions.list() == []


def test_session_log_bad_input_is_an_error_and_logs_nothing(vault: Vault) -> None:
    session = vault.sessions.start(project="shop")
    ended = vault.sessions.start(project="shop")
    vault.sessions.end(ended.id)
    fine = {"content": "fine"}

    async def scenario(client: Client) -> None:
        async def refused(expected: str, **arguments: Any) -> None:
            message = await fails(client, "session_log", **arguments)
            assert expected in message, message

        sid = session.id
        await refused("no session with id nope", session_id="nope", messages=[fine])
        await refused("is ended", session_id=ended.id, messages=[fine])
        await refused("nothing to log", session_id=sid)
        await refused("nothing to log", session_id=sid, messages=[], costs=[])
        await refused(
            "tokens must be a whole number",
            session_id=sid,
            messages=[fine, {"content": "x", "tokens": -1}],
        )
        await refused(
            "messages[1]", session_id=sid, messages=[fine, {"content": "x", "tokens": 1.5}]
        )
        await refused("content is empty", session_id=sid, messages=[fine, {"content": "  "}])
        await refused("needs its content as text", session_id=sid, messages=[{"role": "user"}])
        await refused(
            "unknown field 'text'", session_id=sid, messages=[{"content": "x", "text": 1}]
        )
        await refused(
            "limit for one memory", session_id=sid, messages=[{"content": "x" * 1_000_001}]
        )
        await refused("not valid UTF-8", session_id=sid, messages=[{"content": "bad \udcff"}])
        await refused("role 'robot'", session_id=sid, messages=[{"role": "robot", "content": "x"}])
        await refused("at most 1,000", session_id=sid, messages=[fine] * 1_001)
        cost = {"model": "sonnet", "input_tokens": 1, "output_tokens": 1, "usd": 0.1}
        await refused(
            "usd must be a finite amount",
            session_id=sid,
            messages=[fine],
            costs=[{**cost, "usd": -0.5}],
        )
        await refused("input_tokens must be", session_id=sid, costs=[{**cost, "input_tokens": -3}])
        await refused("needs the model", session_id=sid, costs=[{**cost, "model": None}])
        await refused("a cost needs the model", session_id=sid, costs=[{**cost, "model": " "}])

    run(build_server(vault), scenario)
    nothing_logged(vault, session.id)
    nothing_logged(vault, ended.id)


def test_session_end_bad_input_leaves_the_session_open(vault: Vault) -> None:
    session = vault.sessions.start(project="shop")

    async def scenario(client: Client) -> None:
        assert "no session with id nope" in await fails(
            client, "session_end", session_id="nope", done="x"
        )
        assert "content is empty" in await fails(
            client, "session_end", session_id=session.id, done=" "
        )
        assert "is not a memory id" in await fails(
            client, "session_end", session_id=session.id, done="x", touched=["x" * 80]
        )
        assert "content is empty" in await fails(
            client, "session_end", session_id=session.id, done="x", next_steps=[""]
        )
        assert "done" in await fails(client, "session_end", session_id=session.id)
        await call(client, "session_end", session_id=session.id, done="all done")
        assert "ended already" in await fails(
            client, "session_end", session_id=session.id, done="again"
        )

    run(build_server(vault), scenario)
    (handoff,) = vault.sessions.show(session.id).handoffs
    assert handoff.done == "all done"


def test_session_search_bad_input(vault: Vault) -> None:
    async def scenario(client: Client) -> None:
        assert "no session with id nope" in await fails(
            client, "session_search", query="x", session_id="nope"
        )
        assert "cursor is not one" in await fails(
            client, "session_search", query="x", cursor="garbage"
        )
        assert "less than or equal to 50" in await fails(
            client, "session_search", query="x", limit=51
        )
        assert (await call(client, "session_search", query='"NEAR( AND *'))["hits"] == []

    run(build_server(vault), scenario)


def test_session_tools_that_write_are_not_idempotent(vault: Vault) -> None:
    async def scenario(client: Client) -> dict[str, Any]:
        return {t.name: t.annotations for t in (await client.list_tools()).tools}

    hints = run(build_server(vault), scenario)
    for name in ("session_start", "session_log", "session_end"):
        assert hint(hints[name], "read_only_hint") is False, name
        assert hint(hints[name], "idempotent_hint") is False, name  # a second call makes more
        assert hint(hints[name], "destructive_hint") is False, name
    assert hint(hints["session_search"], "read_only_hint") is True
