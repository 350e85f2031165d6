"""``memvault export jsonl|markdown``, and restoring a JSONL export into another vault.

The JSONL export is complete and exact: a header line, then one line per memory (every field
but access counts, with its outgoing relations and validation history, optionally its vector),
then one line per note (its path and the file's text). Restoring it into an empty vault and
exporting again gives the same file, byte for byte. The Markdown export is the vault's own
layout (``memories/<namespace>/<id>.md`` and the notes), also for a DB-only vault.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from memvault.content.markdown.memory_file import memory_path, render_memory
from memvault.content.markdown.paths import atomic_write, note_path
from memvault.core.errors import InvalidInputError
from memvault.core.file_records import VAULT_ROOT, FileKind
from memvault.core.ids import content_hash
from memvault.core.records import Edge, Memory, MemoryFilter, MemoryRecord, ValidationEvent, Verdict

if TYPE_CHECKING:
    from memvault.service.vault import Vault
    from memvault.storage import Store

HEADER = {"memvault_export": 1}
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class ExportCounts:
    memories: int
    notes: int
    edges: int

    def to_dict(self) -> dict[str, int]:
        return {"memories": self.memories, "notes": self.notes, "edges": self.edges}


class Exporter:
    """Export a vault (JSONL or Markdown) and restore a JSONL export (``vault.exporter()``)."""

    def __init__(self, vault: Vault, store: Store) -> None:
        self._vault = vault
        self._store = store

    def jsonl(self, out: TextIO, *, vectors: bool = False) -> ExportCounts:
        return export_jsonl(self._vault, self._store, out, vectors=vectors)

    def markdown(self, folder: Path) -> ExportCounts:
        return export_markdown(self._vault, self._store, folder)

    def restore(self, path: Path) -> ExportCounts:
        return restore_jsonl(self._vault, self._store, path)


def is_export(path: Path) -> bool:
    """Whether a JSONL file starts with memvault's export header."""
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        return bool(json.loads(first) == HEADER)
    except ValueError:
        return False


def own_memories(store: Store) -> Iterator[MemoryRecord]:
    """Every memory of its own (not chunks of files), by id, with relations and validations."""
    everything = MemoryFilter(include_superseded=True)
    ids: list[str] = []
    offset = 0
    while page := store.list_memories(everything, limit=_PAGE, offset=offset):
        ids.extend(m.id for m in page if m.location is None)
        offset += len(page)
    ids.sort()
    for start in range(0, len(ids), _PAGE):
        chunk = ids[start : start + _PAGE]
        records = store.memory_records(chunk)
        yield from (records[i] for i in chunk if i in records)


def export_jsonl(vault: Vault, store: Store, out: TextIO, *, vectors: bool = False) -> ExportCounts:
    out.write(_line(HEADER))
    memories = edges = notes = 0
    for record in own_memories(store):
        data = _memory_line(record)
        if vectors:
            found = store.vectors_of([record.memory.id]).get(record.memory.id)
            data["vector"] = None if found is None else [round(float(x), 7) for x in found]
        out.write(_line(data))
        memories += 1
        edges += len(record.relations)
    for path, text in _notes(vault, store):
        out.write(_line({"type": "note", "path": path, "text": text}))
        notes += 1
    return ExportCounts(memories, notes, edges)


def export_markdown(vault: Vault, store: Store, folder: Path) -> ExportCounts:
    memories = edges = notes = 0
    for record in own_memories(store):
        state = store.file_of_memory(record.memory.id)
        path = state.path if state else memory_path(record.memory.id, record.memory.namespace)
        atomic_write(folder / path, render_memory(record).encode("utf-8"))
        memories += 1
        edges += len(record.relations)
    for path, text in _notes(vault, store):
        atomic_write(folder / path, text.encode("utf-8"))
        notes += 1
    return ExportCounts(memories, notes, edges)


def restore_jsonl(vault: Vault, store: Store, path: Path) -> ExportCounts:
    """Put an export back: the same ids, times, relations, validations and notes."""
    records: list[MemoryRecord] = []
    notes: list[tuple[str, str]] = []
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
            except (ValueError, KeyError, TypeError) as exc:
                raise InvalidInputError(f"{path}:{number}: not an export line ({exc})") from exc
    if notes and vault.files is None:
        raise InvalidInputError("this export has notes: restore it into a home with a vault")
    errors = store.restore_memories(records, embed=vault.vectors.enabled)
    if errors:
        first = next(iter(errors.items()))
        raise InvalidInputError(
            f"{len(errors)} memories could not be restored: {first[0]}: {first[1]}"
        )
    if vault.files is not None:
        vault.files.mirror.render([r.memory.id for r in records])
        written = []
        for relative, text in notes:
            absolute, rel = note_path(vault.files.root, relative)
            atomic_write(absolute, text.encode("utf-8"))
            written.append(rel)
        vault.sync(written)
    vault.vectors.written()
    return ExportCounts(len(records), len(notes), sum(len(r.relations) for r in records))


# --- lines ------------------------------------------------------------------------------------
def _line(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def _memory_line(record: MemoryRecord) -> dict[str, Any]:
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
    return data


def _record(data: dict[str, Any]) -> MemoryRecord:
    memory = Memory(
        id=data["id"],
        content=data["content"],
        kind=data["kind"],
        namespace=data["namespace"],
        tags=tuple(data.get("tags") or ()),
        importance=float(data["importance"]),
        confidence=float(data["confidence"]),
        source=data.get("source"),
        metadata=dict(data.get("metadata") or {}),
        content_hash=content_hash(data["content"]),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        accessed_at=None,
        access_count=0,
        valid_from=data["valid_from"],
        valid_to=data.get("valid_to"),
        superseded_by=data.get("superseded_by"),
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
    return MemoryRecord(memory, relations, validations)


def _notes(vault: Vault, store: Store) -> Iterator[tuple[str, str]]:
    if vault.files is None:
        return
    for record in store.list_files(FileKind.NOTE, root=VAULT_ROOT, limit=1_000_000):
        path = vault.files.root / record.state.path
        try:
            yield record.state.path, path.read_text("utf-8")
        except OSError:
            continue  # gone since the last sync
