"""Sessions over the real transports: an agent's session ends with a handoff, and the next
session of the project starts from it, over stdio and over HTTP with a token; and the server
applies the vault's retention rules when it starts."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import anyio
from mcp import Client

import memvault
from memvault.core.session_records import MessageDraft
from memvault.embedding.tokens import compact, count_tokens
from memvault.server.budget import DEFAULT_BUDGET
from tests.server.mcp_helpers import (
    call,
    http_client,
    http_server,
    serve_command,
    server_env,
    stdio_params,
)

PACK_BUDGET = 600


async def two_sessions(client: Client) -> None:
    """start → log → end with a handoff → the next session's pack holds the handoff and the
    decision, within its budget."""
    decision = await call(
        client,
        "remember",
        content="the tokenizer splits dotted.names at each dot",
        kind="decision",
        namespace="tok",
    )
    first = await call(client, "session_start", project="tok", agent="claude")
    logged = await call(
        client,
        "session_log",
        session_id=first["session"],
        messages=[
            {"role": "user", "content": "make dotted names searchable by their parts"},
            {"role": "assistant", "content": "split_dotted() now emits every part", "tokens": 8},
        ],
        costs=[{"model": "sonnet", "input_tokens": 1200, "output_tokens": 400, "usd": 0.01}],
    )
    assert logged["logged"] == 2
    ended = await call(
        client,
        "session_end",
        session_id=first["session"],
        done="dotted names are split into their parts",
        stopped_at="camelCase not started",
        next_steps=["split camelCase the same way"],
        touched=[decision["id"]],
    )
    assert ended["status"] == "ended"

    second = await call(
        client, "session_start", project="tok", query="dotted names", budget=PACK_BUDGET
    )
    assert count_tokens(compact(second)) <= DEFAULT_BUDGET
    pack = second["context"]
    assert count_tokens(compact(pack)) <= PACK_BUDGET
    (handoff,) = pack["handoff"]
    assert handoff["id"] == first["session"]
    assert "split camelCase the same way" in handoff["text"]
    assert decision["id"] in [item["id"] for item in pack["recent"]]
    assert pack["entities"]["identifier"][0] == "dotted.names"  # touched, and a recent decision
    hits = (await call(client, "session_search", query="split_dotted", project="tok"))["hits"]
    assert hits[0]["id"] == logged["ids"][1] and hits[0]["session_id"] == first["session"]


def test_two_sessions_over_stdio(home: Path) -> None:
    async def session() -> None:
        async with Client(stdio_params(home)) as client:
            await two_sessions(client)

    anyio.run(session)


def test_two_sessions_over_http_with_a_token(home: Path) -> None:
    with http_server(home) as base:

        async def session() -> None:
            async with http_client(base) as client:
                await two_sessions(client)

        anyio.run(session)


def test_the_server_applies_retention_at_start_and_says_so_on_stderr(home: Path) -> None:
    with memvault.open(home) as vault:
        session = vault.sessions.start(project="old")
        old = "2020-01-01T00:00:00Z"
        vault.sessions.log(
            session.id,
            [
                MessageDraft("summarised long ago", created_at=old, summarised=True),
                MessageDraft("never summarised", created_at=old),
            ],
        )
    proc = subprocess.Popen(
        serve_command(home, "--no-watch"),
        env=server_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }
    proc.stdin.write(json.dumps(hello) + "\n")
    proc.stdin.flush()
    assert json.loads(proc.stdout.readline())["id"] == 1  # stdout holds the protocol only
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    proc.stdin.close()
    stderr = proc.stderr.read()
    assert "retention: archived 0 session(s), deleted 1 summarised message(s)" in stderr
    with memvault.open(home) as vault:
        kept = vault.sessions.messages(session.id)
    assert [m.content for m in kept] == ["never summarised"]
