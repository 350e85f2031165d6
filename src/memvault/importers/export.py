"""``memvault export jsonl|markdown``, and restoring a JSONL export into another vault.

The JSONL export is complete and exact: a header line, then one line per memory (every field
but access counts, with its outgoing relations and validation history, optionally its vector),
then one line per note (its path and the file's text). Restoring it into an empty vault and
exporting again gives the same file, byte for byte. The Markdown export is the vault's own
layout (``memories/<namespace>/<id>.md`` and the notes), also for a DB-only vault.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from memvault.content.entities import mentions_from_mapping
from memvault.content.markdown.memory_file import render_memory
from memvault.content.markdown.paths import atomic_write
from memvault.content.markdown.session_file import render_session
from memvault.core.errors import InvalidInputError
from memvault.core.import_records import ImportOrigin
from memvault.core.records import Edge, Memory, MemoryRecord, ValidationEvent, Verdict
from memvault.core.session_records import (
    Conversation,
    Handoff,
    Message,
    Role,
    Session,
    SessionRecord,
    SessionStatus,
)

if TYPE_CHECKING:
    from memvault.service.vault import Vault

HEADER = {"memvault_export": 1}


@dataclass(frozen=True, slots=True)
class ExportCounts:
    memories: int
    notes: int
    edges: int
    sessions: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "memories": self.memories,
            "notes": self.notes,
            "edges": self.edges,
            "sessions": self.sessions,
        }


class Exporter:
    """Export a vault (JSONL or Markdown) and restore a JSONL export into one."""

    def __init__(self, vault: Vault) -> None:
        self._port = vault.import_port()

    def jsonl(self, out: TextIO, *, vectors: bool = False) -> ExportCounts:
        out.write(_line(HEADER))
        memories = edges = notes = 0
        for record in self._port.own_memories():
            data = memory_line(record)
            if vectors:
                found = self._port.vectors_of([record.memory.id]).get(record.memory.id)
                data["vector"] = None if found is None else [round(float(x), 7) for x in found]
            out.write(_line(data))
            memories += 1
            edges += len(record.relations)
        for path, text in self._port.notes():
            out.write(_line({"type": "note", "path": path, "text": text}))
            notes += 1
        sessions = 0
        for session in self._port.sessions():
            out.write(_line(session_line(session)))
            sessions += 1
        return ExportCounts(memories, notes, edges, sessions)

    def markdown(self, folder: Path) -> ExportCounts:
        """The folder's own layout (``memories/<namespace>/<id>.md`` and the notes), also for
        a DB-only vault."""
        memories = edges = notes = 0
        for record in self._port.own_memories():
            path = self._port.memory_file_path(record.memory)
            atomic_write(folder / path, render_memory(record).encode("utf-8"))
            memories += 1
            edges += len(record.relations)
        for path, text in self._port.notes():
            atomic_write(folder / path, text.encode("utf-8"))
            notes += 1
        sessions = 0
        for session in self._port.sessions():
            path = self._port.session_file_path(session.session)
            atomic_write(folder / path, render_session(session).encode("utf-8"))
            sessions += 1
        return ExportCounts(memories, notes, edges, sessions)

    def restore(self, path: Path) -> ExportCounts:
        """Put an export back: the same ids, times, relations, validations and notes."""
        records: list[MemoryRecord] = []
        notes: list[tuple[str, str]] = []
        sessions: list[SessionRecord] = []
        with path.open("r", encoding="utf-8") as handle:
            if json.loads(handle.readline() or "null") != HEADER:
                raise InvalidInputError(f"{path} is not a memvault export (no header line)")
            for number, line in enumerate(handle, start=2):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    if data.get("type") == "memory":
                        records.append(_record(data))
                    elif data.get("type") == "note":
                        notes.append((str(data["path"]), str(data["text"])))
                    elif data.get("type") == "session":
                        sessions.append(_session_record(data))
                except (ValueError, KeyError, TypeError) as exc:
                    raise InvalidInputError(f"{path}:{number}: not an export line ({exc})") from exc
        self._port.restore(records, notes, sessions)
        edges = sum(len(r.relations) for r in records)
        return ExportCounts(len(records), len(notes), edges, len(sessions))


def is_export(path: Path) -> bool:
    """Whether a JSONL file starts with memvault's export header."""
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        return bool(json.loads(first) == HEADER)
    except ValueError:
        return False


# --- lines ------------------------------------------------------------------------------------
def _line(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def memory_line(record: MemoryRecord) -> dict[str, Any]:
    data = record.memory.to_dict()
    for volatile in ("access_count", "accessed_at", "content_hash", "location"):
        data.pop(volatile, None)
    data["type"] = "memory"
    data["relations"] = [
        {k: v for k, v in edge.to_dict().items() if k != "source_id"} for edge in record.relations
    ]
    data["validations"] = [
        {k: v for k, v in event.to_dict().items() if k != "memory_id"}
        for event in record.validations
    ]
    if record.imports:  # only then: an export of a vault that imported nothing is unchanged
        data["imports"] = [
            {"source": o.source, "id": o.source_id, "hash": o.record_hash} for o in record.imports
        ]
    return data


def _record(data: dict[str, Any]) -> MemoryRecord:
    memory = Memory.new(
        data["id"],
        data["content"],
        kind=data["kind"],
        namespace=data["namespace"],
        tags=tuple(data.get("tags") or ()),
        importance=float(data["importance"]),
        confidence=float(data["confidence"]),
        source=data.get("source"),
        metadata=dict(data.get("metadata") or {}),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        valid_from=data["valid_from"],
        valid_to=data.get("valid_to"),
        superseded_by=data.get("superseded_by"),
        entities=mentions_from_mapping(data["entities"]) if "entities" in data else None,
    )
    relations = tuple(
        Edge(
            memory.id,
            e["target_id"],
            e["relation"],
            float(e["weight"]),
            e.get("metadata") or {},
            e["created_at"],
        )
        for e in data.get("relations") or ()
    )
    validations = tuple(
        ValidationEvent(
            v["id"],
            memory.id,
            Verdict(v["verdict"]),
            v.get("actor"),
            v.get("note"),
            float(v["confidence_before"]),
            float(v["confidence_after"]),
            v["created_at"],
        )
        for v in data.get("validations") or ()
    )
    imports = tuple(
        ImportOrigin(str(o["source"]), str(o["id"]), str(o["hash"]))
        for o in data.get("imports") or ()
    )
    return MemoryRecord(memory, relations, validations, imports)


def session_line(record: SessionRecord) -> dict[str, Any]:
    return {
        "type": "session",
        "session": record.session.to_dict(),
        "conversations": [c.to_dict() for c in record.conversations],
        "messages": [
            {k: v for k, v in m.to_dict().items() if k != "session_id"} for m in record.messages
        ],
        "handoffs": [
            {k: v for k, v in h.to_dict().items() if k != "session_id"} for h in record.handoffs
        ],
    }


def _session_record(data: dict[str, Any]) -> SessionRecord:
    s = data["session"]
    session = Session(
        s["id"],
        s.get("user"),
        s.get("project"),
        s.get("agent"),
        s.get("title"),
        SessionStatus(s["status"]),
        s["started_at"],
        s["last_active_at"],
        s.get("ended_at"),
        dict(s.get("metadata") or {}),
    )
    conversations = tuple(
        Conversation(c["id"], session.id, c.get("title"), c["started_at"], c.get("metadata") or {})
        for c in data.get("conversations") or ()
    )
    messages = tuple(
        Message(
            m["id"],
            session.id,
            m["conversation_id"],
            Role(m["role"]),
            m["content"],
            int(m["tokens"]),
            m["created_at"],
            bool(m.get("summarised", False)),
        )
        for m in data.get("messages") or ()
    )
    handoffs = tuple(
        Handoff(
            h["id"],
            session.id,
            h["done"],
            h.get("stopped_at"),
            tuple(h.get("next_steps") or ()),
            tuple(h.get("open_questions") or ()),
            tuple(h.get("touched") or ()),
            h["created_at"],
        )
        for h in data.get("handoffs") or ()
    )
    return SessionRecord(session, conversations, messages, handoffs)
