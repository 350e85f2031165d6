"""The Markdown form of a memory: ``vault/memories/<namespace>/<id>.md``.

A memory file holds everything needed to rebuild the memory exactly: the front matter carries
id, kind, times, scores, metadata, the memory's outgoing relations, its validation history and
the source records it was imported from (``imported_from``: source, id and the record's hash, so
a rebuild brings the import links back and a re-import updates instead of duplicating) and its
entities (``entities``: kind -> names; the list is the truth when present, so a person adds or
removes one by hand, and a file without it has them extracted from text and tags); the body is
the text. Fields at their defaults are left out so a person reading the file sees
what matters. Reading goes through the same input rules as ``remember``, so a hand edit that
breaks a rule is reported (file and line) instead of stored. Access counts are not written:
they change on every read and are the index's business.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from memvault.content.entities import mentions_from_mapping
from memvault.content.markdown.frontmatter import FrontMatterError, parse, render
from memvault.core import inputs
from memvault.core.entity_records import entity_mapping
from memvault.core.errors import InvalidInputError
from memvault.core.file_records import FOLDER_ROOT
from memvault.core.import_records import ImportOrigin
from memvault.core.records import (
    DEFAULT_KIND,
    DEFAULT_NAMESPACE,
    Edge,
    Memory,
    MemoryRecord,
    Relation,
    ValidationEvent,
    Verdict,
)
from memvault.core.times import normal_timestamp

MEMORY_FOLDER = "memories"
_UNSAFE_IN_FOLDER = re.compile(r"[^A-Za-z0-9_@\-]")


def memory_path(memory_id: str, namespace: str) -> str:
    """Vault-relative path of a memory's file. Namespaces may hold ``/`` or ``.``, which are
    escaped (``team%2Fops``) so a namespace is always exactly one folder."""
    folder = _UNSAFE_IN_FOLDER.sub(lambda m: f"%{ord(m.group()):02X}", namespace)
    return f"{MEMORY_FOLDER}/{folder}/{memory_id}.md"


def is_memory_path(path: str) -> bool:
    return path.startswith(f"{MEMORY_FOLDER}/")


def render_memory(record: MemoryRecord) -> str:
    m = record.memory
    front: dict[str, Any] = {"id": m.id, "kind": m.kind, "namespace": m.namespace}
    if m.tags:
        front["tags"] = list(m.tags)
    if m.entities:
        front["entities"] = entity_mapping(m.entities)
    front["importance"] = m.importance
    front["confidence"] = m.confidence
    if m.source is not None:
        front["source"] = m.source
    front["created_at"] = m.created_at
    front["updated_at"] = m.updated_at
    if m.valid_from != m.created_at:
        front["valid_from"] = m.valid_from
    if m.valid_to is not None:
        front["valid_to"] = m.valid_to
    if m.superseded_by is not None:
        front["superseded_by"] = m.superseded_by
    if m.metadata:
        front["metadata"] = m.metadata
    if record.relations:
        front["relations"] = [_edge_entry(edge) for edge in record.relations]
    if record.validations:
        front["validations"] = [_validation_entry(event) for event in record.validations]
    if record.imports:
        front["imported_from"] = [
            {"source": o.source, "id": o.source_id, "hash": o.record_hash} for o in record.imports
        ]
    return render(front, m.content + "\n")


def parse_memory(text: str, path: str, *, modified: str | None = None) -> MemoryRecord:
    """Read a memory file; raises ``FrontMatterError`` naming the file and line.

    ``modified`` (the file's time) stands in for a missing ``created_at`` in a hand-made file.
    """
    document = parse(text, source=path)
    front = document.front_matter

    def fail(message: str) -> FrontMatterError:
        return FrontMatterError(message, line=_line_of(text, message), source=path)

    try:
        memory_id = inputs.memory_id(str(front.get("id") or _id_from_path(path)))
        created_at = _time(front.get("created_at") or modified, "created_at")
        body = inputs.content(document.body)
        memory = Memory.new(
            memory_id,
            body,
            kind=inputs.name(str(front.get("kind", DEFAULT_KIND)), "kind"),
            namespace=inputs.namespace(str(front.get("namespace", DEFAULT_NAMESPACE))),
            tags=inputs.tags(inputs.tag_values(front.get("tags"))),
            importance=inputs.unit_interval(front.get("importance", 0.5), "importance"),
            confidence=inputs.unit_interval(front.get("confidence", 0.5), "confidence"),
            source=inputs.source(front.get("source")),
            metadata=inputs.metadata(front.get("metadata")),
            created_at=created_at,
            updated_at=_time(front.get("updated_at", created_at), "updated_at"),
            valid_from=_time(front.get("valid_from", created_at), "valid_from"),
            valid_to=_optional_time(front.get("valid_to"), "valid_to"),
            superseded_by=_optional_id(front.get("superseded_by")),
            # the file's list is the truth when it has one; without one they are extracted
            entities=mentions_from_mapping(front["entities"]) if "entities" in front else None,
        )
        relations = tuple(
            _edge(memory_id, entry, created_at)
            for entry in _list(front.get("relations"), "relations")
        )
        validations = tuple(
            _validation(memory_id, entry)
            for entry in _list(front.get("validations"), "validations")
        )
        imports = tuple(
            _origin(entry) for entry in _list(front.get("imported_from"), "imported_from")
        )
    except FrontMatterError:
        raise
    except InvalidInputError as exc:
        raise fail(str(exc)) from exc
    return MemoryRecord(memory, relations, validations, imports)


# --- entries -------------------------------------------------------------------------------------
def _edge_entry(edge: Edge) -> dict[str, Any]:
    entry: dict[str, Any] = {"relation": edge.relation, "target": edge.target_id}
    if edge.weight != 1.0:
        entry["weight"] = edge.weight
    if edge.metadata:
        entry["metadata"] = edge.metadata
    entry["created_at"] = edge.created_at
    return entry


def _edge(source_id: str, entry: Any, default_time: str) -> Edge:
    if not isinstance(entry, dict) or "target" not in entry:
        raise InvalidInputError("each relation needs a target (a memory id) and a relation name")
    return Edge(
        source_id=source_id,
        target_id=inputs.memory_id(str(entry["target"])),
        relation=inputs.name(str(entry.get("relation", Relation.RELATES_TO)), "relation"),
        weight=float(entry.get("weight", 1.0)),
        metadata=inputs.metadata(entry.get("metadata")),
        created_at=_time(entry.get("created_at", default_time), "relation created_at"),
    )


def _validation_entry(event: ValidationEvent) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": event.id, "verdict": event.verdict.value}
    if event.actor is not None:
        entry["actor"] = event.actor
    if event.note is not None:
        entry["note"] = event.note
    entry["confidence_before"] = event.confidence_before
    entry["confidence_after"] = event.confidence_after
    entry["created_at"] = event.created_at
    return entry


def _validation(memory_id: str, entry: Any) -> ValidationEvent:
    if not isinstance(entry, dict):
        raise InvalidInputError("each validation must be a mapping")
    try:
        verdict = Verdict(str(entry.get("verdict", "")).lower())
    except ValueError as exc:
        raise InvalidInputError(f"validation verdict {entry.get('verdict')!r} is unknown") from exc
    return ValidationEvent(
        id=inputs.memory_id(str(entry.get("id", ""))),
        memory_id=memory_id,
        verdict=verdict,
        actor=inputs.source(entry.get("actor")),
        note=inputs.source(entry.get("note")),
        confidence_before=inputs.unit_interval(entry.get("confidence_before", 0.5), "confidence"),
        confidence_after=inputs.unit_interval(entry.get("confidence_after", 0.5), "confidence"),
        created_at=_time(entry.get("created_at"), "validation created_at"),
    )


_ORIGIN_KEYS = ("source", "id", "hash")


def _origin(entry: Any) -> ImportOrigin:
    if not isinstance(entry, dict) or any(entry.get(k) in (None, "") for k in _ORIGIN_KEYS):
        raise InvalidInputError("each imported_from entry needs a source, an id and a hash")
    return ImportOrigin(str(entry["source"]), str(entry["id"]), str(entry["hash"]))


# --- small readers ---------------------------------------------------------------------------
def _time(value: Any, field: str) -> str:
    if value is None or value == "":
        raise InvalidInputError(f"{field} is missing")
    return normal_timestamp(str(value))


def _optional_time(value: Any, field: str) -> str | None:
    return None if value is None else _time(value, field)


def _optional_id(value: Any) -> str | None:
    return None if value is None else inputs.memory_id(str(value))


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInputError(f"{field} must be a list")
    return value


def _id_from_path(path: str) -> str:
    """A hand-made file without ``id``: its name if that is an id, else one derived from the
    path (stable, so a rebuild finds the same memory)."""
    stem = path.rsplit("/", 1)[-1].removesuffix(".md")
    try:
        return str(uuid.UUID(stem))
    except ValueError:
        from memvault.content.document_chunks import document_id  # brings the chunkers

        return document_id(FOLDER_ROOT, path)


def _line_of(text: str, message: str) -> int:
    """The front matter line of the field a message names, else line 1 (the fence): the
    field the message starts with (``entities: unknown kind``), else the first it mentions."""
    named = message.split(":", 1)[0].strip()
    fields = _front_lines(text)
    if named in fields:
        return fields[named]
    for number, line in enumerate(text.splitlines()[1:], start=2):
        if line.strip() == "---":
            break
        key = line.split(":", 1)[0].strip()
        if key and not line.startswith((" ", "-")) and key in message:
            return number
    return 1


def _front_lines(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines()[1:], start=2):
        if line.strip() == "---":
            break
        if line[:1] not in (" ", "-", "") and ":" in line:
            found.setdefault(line.split(":", 1)[0].strip(), number)
    return found
