"""Each tool's outputSchema: the top-level fields of its answer and their JSON types.

Kept to the one field an agent reads first (the list, the body, the id it made), without the
items' inner shapes: every tools/list carries these schemas, so each field costs every session
tokens. Answers may hold more fields than listed (JSON Schema allows them); the MCP client
checks each structuredContent against its schema, and the tests call every tool through it.
"""

from __future__ import annotations

from typing import Any

FIELDS: dict[str, dict[str, str]] = {
    "remember": {"id": "string"},
    "search": {"hits": "array"},
    "get": {"content": "string"},
    "update": {"id": "string"},
    "forget": {"forgotten": "string"},
    "validate": {"confidence": "number"},
    "relate": {"relation": "string"},
    "neighbours": {"neighbours": "array"},
    "entity": {"memories": "array"},
    "supersede": {"superseded": "string"},
    "note_write": {"path": "string"},
    "note_read": {"body": "string"},
    "note_edit": {"path": "string"},
    "note_move": {"path": "string"},
    "note_delete": {"deleted": "string"},
    "note_list": {"notes": "array"},
    "index_path": {"problems": "array"},
    "jobs": {"failures": "array"},
    "stats": {"memories": "integer"},
    "recent": {"memories": "array"},
    "session_start": {"session": "string"},
    "session_log": {"ids": "array"},
    "session_end": {"ended": "string"},
    "session_search": {"hits": "array"},
}


def output_schema(tool: str) -> dict[str, Any]:
    fields = FIELDS[tool]
    return {"type": "object", "properties": {name: {"type": kind} for name, kind in fields.items()}}
