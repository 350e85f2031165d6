"""Which tools a server lists: every tool costs an agent tokens in every conversation.

An MCP client puts the whole ``tools/list`` into the model's context each session, so a
server that lists all 24 tools (about 5,100 tokens by our counter) charges every agent for the
graph, file and note-housekeeping tools it rarely calls. ``memvault serve`` lists the ``core``
set by default, what an agent uses every session (about 2,400 tokens): remember, search, get,
update, forget, note_write, note_read and the session tools that carry work over. The rest come
in named groups (``--tools core,graph``) or all at once (``--tools all``); the library's
``build_server`` lists all of them unless told otherwise.
"""

from __future__ import annotations

from types import ModuleType

from memvault.core.errors import InvalidInputError

GROUPS: dict[str, tuple[str, ...]] = {
    "core": (
        "remember",
        "search",
        "get",
        "update",
        "forget",
        "note_write",
        "note_read",
        "session_start",
        "session_log",
        "session_end",
    ),
    "memories": ("remember", "search", "recent", "get", "update", "forget"),
    "graph": ("validate", "relate", "neighbours", "entity", "supersede"),
    "notes": ("note_write", "note_read", "note_edit", "note_move", "note_delete", "note_list"),
    "files": ("index_path", "jobs"),
    "sessions": ("session_start", "session_log", "session_end", "session_search"),
    "admin": ("stats", "jobs"),
}
DEFAULT = "core"


def tools_for(spec: str) -> tuple[ModuleType, ...]:
    """The tools ``spec`` names (``all``, groups and tool names, comma-separated), in the
    order ``tools/list`` shows them. The tool modules (and the MCP SDK) load only here:
    ``memvault serve`` names the default when the CLI starts, and every command pays that."""
    from memvault.server.tools import ALL

    by_name = {tool.__name__.rsplit(".", 1)[-1]: tool for tool in ALL}
    wanted: set[str] = set()
    for word in (part.strip().lower() for part in spec.split(",")):
        if word == "all":
            wanted.update(by_name)
        elif word in GROUPS:
            wanted.update(GROUPS[word])
        elif word in by_name:
            wanted.add(word)
        else:
            known = ", ".join(["all", *GROUPS])
            raise InvalidInputError(
                f"no tool or tool group {word!r}: use {known}, or a tool's name"
            )
    return tuple(tool for name, tool in by_name.items() if name in wanted)
