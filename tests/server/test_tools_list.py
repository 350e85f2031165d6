"""The MCP tools/list an agent sees: exactly the tools, one-line descriptions, annotation
hints, slim input schemas, and a payload cheap enough for every session."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from memvault.core.errors import InvalidInputError
from memvault.embedding.tokens import compact, count_tokens
from memvault.server.app import build_server
from memvault.server.toolsets import DEFAULT, tools_for
from memvault.service.vault import Vault
from tests.server.tool_client import SPEC_DEFAULTS, hint, run

TOOLS = {
    "remember",
    "search",
    "get",
    "update",
    "forget",
    "validate",
    "relate",
    "neighbours",
    "entity",
    "supersede",
    "note_write",
    "note_read",
    "note_edit",
    "note_move",
    "note_delete",
    "note_list",
    "index_path",
    "jobs",
    "stats",
    "recent",
    "session_start",
    "session_log",
    "session_end",
    "session_search",
}
READ_ONLY = {
    "search",
    "get",
    "neighbours",
    "entity",
    "note_read",
    "note_list",
    "jobs",
    "stats",
    "recent",
    "session_search",
}
# Tokens an agent pays for tools/list on every session (the bundled WordPiece counter, which
# counts every JSON quote and colon as a token: a BPE chat tokenizer counts fewer). 4,227 for 22
# tools without output schemas before; now 23 tools, each with an outputSchema (about 34 tokens
# each), paid for by hints sent only where they differ from the spec's defaults, bounds left to
# the server's errors and terser descriptions. The protocol's own keys, a name, a one-line
# description, the empty input and output objects and two hints cost about 110 tokens a tool
# before any argument (23 tools: about 2,500), so 2,500 needs fewer tools: `memvault serve`
# lists the core set by default (server/toolsets.py), the rest on request (--tools all).
DEFAULT_TOOLS_BUDGET = 2_500  # what an agent pays per session with the default set
TOOLS_LIST_BUDGET = 5_300  # every tool (--tools all): 4,839 for 23; 24 with entity
SESSION_TOOLS_BUDGET = 950  # what the four session tools add to it (851 when they came)

# --- tools/list ------------------------------------------------------------------------------


def list_tools(vault: Vault, spec: str = "all") -> list[Any]:
    async def scenario(client: Client) -> list[Any]:
        return list((await client.list_tools()).tools)

    return run(build_server(vault, tools=tools_for(spec)), scenario)


def test_tools_list_has_exactly_the_tools(vault: Vault) -> None:
    names = [tool.name for tool in list_tools(vault)]
    assert len(names) == len(set(names))
    assert set(names) == TOOLS


def test_every_tool_has_a_one_line_description(vault: Vault) -> None:
    for tool in list_tools(vault):
        assert tool.description, tool.name
        assert "\n" not in tool.description, tool.name
        assert len(tool.description) < 120, (tool.name, len(tool.description))


def test_every_tool_says_all_four_annotation_hints(vault: Vault) -> None:
    for tool in list_tools(vault):
        hints = tool.annotations
        assert hints is not None, tool.name
        assert hint(hints, "open_world_hint") is False, tool.name  # a local vault, no outside
        # Only hints that differ from the spec's defaults are sent: a default costs tokens.
        for name, default in SPEC_DEFAULTS.items():
            assert getattr(hints, name) is not default, (tool.name, name)


def test_read_only_tools_are_exactly_the_readers(vault: Vault) -> None:
    tools = {tool.name: tool.annotations for tool in list_tools(vault)}
    assert {name for name, hints in tools.items() if hint(hints, "read_only_hint")} == READ_ONLY
    for name in READ_ONLY:  # the raw hint: the helper reads a reader's unsent one as False
        assert tools[name].destructive_hint is not True, name


def test_deleting_and_overwriting_tools_are_destructive(vault: Vault) -> None:
    tools = {tool.name: tool.annotations for tool in list_tools(vault)}
    for name in ("forget", "note_delete", "note_edit", "update", "note_write"):
        assert hint(tools[name], "destructive_hint") is True, name
        assert hint(tools[name], "read_only_hint") is False, name
    for name in ("remember", "relate", "session_log", "index_path", "note_move"):
        assert hint(tools[name], "destructive_hint") is False, name


def test_tools_list_payload_is_cheap(vault: Vault) -> None:
    tools = [t.model_dump(by_alias=True, exclude_none=True) for t in list_tools(vault)]
    payload = compact(tools)
    tokens = count_tokens(payload)
    without = count_tokens(compact([t for t in tools if not t["name"].startswith("session_")]))
    print(
        f"tools/list: {tokens} tokens, {len(payload)} characters "
        f"(the session tools add {tokens - without} tokens to {without})"
    )
    assert tokens < TOOLS_LIST_BUDGET
    assert tokens - without < SESSION_TOOLS_BUDGET


def test_the_default_tool_set_costs_under_2500_tokens(vault: Vault) -> None:
    tools = [t.model_dump(by_alias=True, exclude_none=True) for t in list_tools(vault, DEFAULT)]
    tokens = count_tokens(compact(tools))
    print(
        f"tools/list of `memvault serve` (--tools {DEFAULT}): {len(tools)} tools, {tokens} tokens"
    )
    assert tokens < DEFAULT_TOOLS_BUDGET
    names = {t["name"] for t in tools}
    assert {"remember", "search", "get", "session_start", "session_end", "note_write"} <= names


def test_tool_sets_are_named_groups_and_tools() -> None:
    def names(spec: str) -> list[str]:
        return [tool.__name__.rsplit(".", 1)[-1] for tool in tools_for(spec)]

    assert set(names("all")) == TOOLS
    assert set(names("graph")) == {"validate", "relate", "neighbours", "entity", "supersede"}
    assert set(names("core,index_path")) == set(names("core")) | {"index_path"}
    assert names("notes,core")[:2] == ["remember", "search"]  # tools/list's order, not the spec's
    with pytest.raises(InvalidInputError, match="no tool or tool group 'nope'"):
        tools_for("core,nope")


def schema_keys(schema: Any, path: str = "") -> list[tuple[str, str]]:
    """Every (path, key) of a JSON schema, property names excepted (a property may be called
    "title")."""
    found: list[tuple[str, str]] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.append((path, key))
            if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
                for name, child in value.items():
                    found += schema_keys(child, f"{path}/{key}/{name}")
            else:
                found += schema_keys(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for i, child in enumerate(schema):
            found += schema_keys(child, f"{path}/{i}")
    return found


def test_every_tool_has_an_output_schema(vault: Vault) -> None:
    for tool in list_tools(vault):
        schema = tool.output_schema
        assert schema is not None, tool.name
        assert schema["type"] == "object" and schema["properties"], tool.name
        assert [k for k in schema_keys(schema) if k[1] == "title"] == [], tool.name


def test_input_schemas_are_slim(vault: Vault) -> None:
    for tool in list_tools(vault):
        keys = schema_keys(tool.input_schema)
        assert keys, tool.name
        assert [k for k in keys if k[1] in ("anyOf", "title")] == [], tool.name
    # The slimming keeps what an agent needs: types, defaults, enums and bounds.
    search = next(t for t in list_tools(vault) if t.name == "search").input_schema
    assert search["required"] == ["query"]
    assert search["properties"]["cursor"] == {"type": "string"}
    assert search["properties"]["limit"] == {"default": 10, "type": "integer"}  # bounds: server
    assert search["properties"]["mode"]["enum"] == ["hybrid", "keyword", "vector"]
    note_write = next(t for t in list_tools(vault) if t.name == "note_write").input_schema
    assert note_write["properties"]["title"] == {"type": "string"}  # a property named title stays
    # JSON Schema's default (any object) goes; the items' own description stays.
    session_log = next(t for t in list_tools(vault) if t.name == "session_log").input_schema
    assert session_log["required"] == ["session_id"]
    assert session_log["properties"]["messages"]["items"] == {"type": "object"}
    assert "content" in session_log["properties"]["messages"]["description"]
