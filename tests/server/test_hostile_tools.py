"""Every MCP tool, fed a table of hostile values for every argument: each call either works or
is a clean tool error with a message an agent can act on, never a crash.

The tools and their arguments are read from ``tools/list``, so a new tool or argument is covered
the day it is added. A crash shows as the SDK's bare ``Error executing tool <name>`` (it hides
an unexpected exception's text); a clean error is memvault's own one-line message or the SDK's
schema validation report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import TextContent

import memvault
from memvault.server.app import build_server
from memvault.server.tools import ALL
from tests.server.tool_client import run

HOSTILE_TEXT: list[Any] = [
    "",
    " \t\n ",
    "\x00nul",
    "x" * 200_000,
    "-1",
    "nan",
    "1e309",
    "../../../../etc/passwd",
    "/etc/passwd",
    "/nonexistent/deep/file.md",
    "\u202e\U0001f4a5 ünïcödé",
    "\udcff",  # a lone surrogate: what undecodable bytes become
    "'; DROP TABLE memories; --",
    '"unbalanced NEAR( * OR',
    "%s%n{0}",
    "2026-13-45T99:99",
    "notes/",
    ".",
]
HOSTILE_INTEGER: list[Any] = [-1, 0, 2**63, 10**30, 1.5, "7", "seven", True]
HOSTILE_NUMBER: list[Any] = [-1e308, 1e308, -0.5, 2, "0.5", "half"]
HOSTILE_ARRAY: list[Any] = [[], [""], ["x" * 200_000], [None], ["a"] * 2_000, "a"]
WRONG_TYPE: list[Any] = [None, 12, [], {"nested": {"deep": True}}]


def hostile_values(schema: dict[str, Any]) -> list[Any]:
    kind = schema.get("type")
    if "enum" in schema:
        return ["", "NOT-A-CHOICE", *WRONG_TYPE]
    if kind == "integer":
        return [*HOSTILE_INTEGER, None, []]
    if kind == "number":
        return [*HOSTILE_NUMBER, None, []]
    if kind == "array":
        return [*HOSTILE_ARRAY, None, {}]
    if kind == "boolean":
        return ["yes-no", 2, None]
    return [*HOSTILE_TEXT, *WRONG_TYPE]


def crashed(text: str, tool: str) -> bool:
    """The SDK's text for an exception no one anticipated (its own message is withheld)."""
    return text.strip() == f"Error executing tool {tool}" or "Traceback" in text


TOOL_NAMES = [tool.__name__.rsplit(".", 1)[-1] for tool in ALL]


@pytest.fixture
def stocked(tmp_path: Path) -> Any:
    """A vault with a memory, a note, an indexable folder and a session to aim at."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.py").write_text("def parse_config():\n    return 1\n")
    with memvault.open(tmp_path / "home") as vault:
        first = vault.remember("Alice prefers green tea", kind="preference")
        second = vault.remember("Bob drinks coffee")
        vault.notes.write("notes/plan.md", "# Plan\n\nShip it.\n")
        session = vault.sessions.start(project="memvault")
        yield (
            vault,
            {
                "id": first.id,
                "source": first.id,
                "target": second.id,
                "old_id": first.id,
                "new_id": second.id,
                "path": "notes/plan.md",
                "session_id": session.id,
                "query": "tea",
                "content": "hello",
                "text": "hello",
                "verdict": "confirm",
            },
            folder,
        )


def baseline(
    schema: dict[str, Any], valid: dict[str, Any], folder: Path, tool: str
) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    for name in schema.get("required", []):
        if tool == "index_path" and name == "path":
            arguments[name] = str(folder)
        elif name in valid:
            arguments[name] = valid[name]
        else:
            kind = schema["properties"][name].get("type")
            arguments[name] = {"integer": 1, "number": 0.5, "array": ["x"]}.get(kind, "x")
    return arguments


@pytest.mark.parametrize("tool", TOOL_NAMES)
def test_hostile_arguments_get_a_clean_answer(tool: str, stocked: Any) -> None:
    vault, valid, folder = stocked
    server = build_server(vault)

    async def scenario(client: Client) -> list[str]:
        (listed,) = [t for t in (await client.list_tools()).tools if t.name == tool]
        schema = listed.input_schema
        base = baseline(schema, valid, folder, tool)
        problems = []
        calls = [
            (name, value)
            for name, prop in schema["properties"].items()
            for value in hostile_values(prop)
        ]
        calls.append(("unknown_argument", "surprise"))
        for name, value in calls:
            arguments = {**base, name: value}
            result = await client.call_tool(tool, arguments)
            texts = [c.text for c in result.content if isinstance(c, TextContent)]
            shown = repr(value)[:40]
            if not texts:
                problems.append(f"{name}={shown}: no text in the reply")
            elif result.is_error and crashed(texts[0], tool):
                problems.append(f"{name}={shown}: crashed")
        return problems

    problems = run(server, scenario)
    assert not problems, f"{tool}: " + "; ".join(problems)


def test_a_crash_is_told_apart_from_a_clean_error() -> None:
    assert crashed("Error executing tool get", "get")
    assert not crashed("Error executing tool get: no memory with id 'x'", "get")
    assert not crashed("no memory with id 'x'", "get")
    assert {"remember", "search", "note_write", "session_log", "index_path"} <= set(TOOL_NAMES)
