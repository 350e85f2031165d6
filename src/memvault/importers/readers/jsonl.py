"""File sources: a JSONL file of records, and the reference MCP memory server's graph file.

JSONL, one record per line (blank lines ignored)::

    {"id": "n-17", "content": "We deploy on Fridays", "kind": "decision", "namespace": "ops",
     "tags": ["deploy"], "importance": 0.8, "confidence": 0.6,
     "created_at": "2026-01-31T09:00:00Z", "updated_at": "...", "metadata": {"ticket": 42},
     "vector": [0.01, ...]}

``id`` and ``content`` are required (``text`` is accepted for ``content``); ``tags`` may be a
list or a comma-separated string; keys not listed here are kept in ``metadata``. A line that is
not valid JSON, or has no id or content, is reported with its line number and skipped.

An id is one record: when it is on several lines, the last line wins (a file appended to as
records change reads as its latest state) and the earlier lines are skipped, reported by id
and line numbers (``duplicates``) by import and by verify, which compares the kept line. The
same holds for an entity name in an MCP memory graph.

The MCP memory server (``@modelcontextprotocol/server-memory``) keeps a knowledge graph as JSONL:
``{"type": "entity", "name", "entityType", "observations": [...]}`` and
``{"type": "relation", "from", "to", "relationType"}``. Each entity becomes one memory (its name,
type and observations; kind ``entity``, tagged with its type) and each relation an edge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.importers.records import SourceBatch, SourceEdge, SourceFailure, SourceRecord

_KNOWN = {
    "id",
    "content",
    "text",
    "kind",
    "namespace",
    "tags",
    "importance",
    "confidence",
    "created_at",
    "updated_at",
    "metadata",
    "vector",
}


class _LineFile:
    """Lines of a file with their numbers; the checkpoint is the last line number read."""

    def __init__(self, path: Path, scheme: str) -> None:
        self.path = Path(path).expanduser().resolve()
        if not self.path.is_file():
            raise InvalidInputError(f"no such file: {path}")
        self.name = f"{scheme}://{self.path}"
        self.vector_note: str | None = None
        self._duplicates: dict[str, tuple[int, ...]] | None = None

    def count(self) -> int:
        with self.path.open("rb") as handle:
            lines = sum(1 for line in handle if line.strip())
        return lines - self._skipped_lines()

    @property
    def duplicates(self) -> dict[str, tuple[int, ...]]:
        """Ids on more than one line → their line numbers (the last one is the record)."""
        if self._duplicates is None:
            seen: dict[str, list[int]] = {}
            for number, text in self.lines(None):
                key = self._key(text)
                if key is not None:
                    seen.setdefault(key, []).append(number)
            self._duplicates = {k: tuple(v) for k, v in seen.items() if len(v) > 1}
        return self._duplicates

    def _key(self, text: str) -> str | None:
        """The record id a line holds, if it holds one (subclasses know their format)."""
        return None

    def _superseded(self, number: int, text: str) -> bool:
        """A line whose id comes again later in the file: skipped, the later line wins."""
        if not self.duplicates:
            return False
        key = self._key(text)
        return key is not None and self.duplicates.get(key, (number,))[-1] != number

    def _skipped_lines(self) -> int:
        return sum(len(lines) - 1 for lines in self.duplicates.values())

    def lines(self, resume: str | None) -> Iterator[tuple[int, str]]:
        start = int(resume or 0)
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number <= start or not raw.strip():
                    continue
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield number, f"\x00not UTF-8 (byte {exc.start})"

    def search(self, query: str, k: int) -> list[str] | None:
        return None

    def close(self) -> None:
        return None


class JsonlSource(_LineFile):
    def __init__(self, path: Path) -> None:
        super().__init__(path, "jsonl")

    def batches(self, *, batch_size: int, resume: str | None = None) -> Iterator[SourceBatch]:
        records: list[SourceRecord] = []
        failures: list[SourceFailure] = []
        number = int(resume or 0)
        for number, text in self.lines(resume):
            if self._superseded(number, text):
                continue
            try:
                records.append(_record(json.loads(text)))
            except (ValueError, TypeError, InvalidInputError) as exc:
                reason = text[1:] if text.startswith("\x00") else str(exc)
                failures.append(SourceFailure(f"line {number}", reason))
            if len(records) + len(failures) >= batch_size:
                yield SourceBatch(tuple(records), tuple(failures), checkpoint=str(number))
                records, failures = [], []
        if records or failures:
            yield SourceBatch(tuple(records), tuple(failures), checkpoint=str(number))

    def _key(self, text: str) -> str | None:
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("id") is None or str(data["id"]) == "":
            return None
        return str(data["id"])


def _record(data: Any) -> SourceRecord:
    if not isinstance(data, dict):
        raise InvalidInputError("a record must be a JSON object")
    source_id = data.get("id")
    content = data.get("content", data.get("text"))
    if source_id is None or str(source_id) == "":
        raise InvalidInputError("the record has no id")
    if not isinstance(content, str) or not content.strip():
        raise InvalidInputError(f"record {source_id} has no content")
    tags = inputs.tag_values(data.get("tags"))
    metadata = dict(data.get("metadata") or {})
    metadata.update({k: v for k, v in data.items() if k not in _KNOWN})
    vector = data.get("vector")
    return SourceRecord(
        source_id=str(source_id),
        content=content,
        kind=data.get("kind"),
        namespace=data.get("namespace"),
        tags=tuple(tags),
        importance=data.get("importance"),
        confidence=data.get("confidence"),
        created_at=data.get("created_at"),
        updated_at=data.get("updated_at"),
        metadata=metadata,
        vector=None if vector is None else np.asarray(vector, dtype=np.float32),
    )


class McpMemorySource(_LineFile):
    has_edges = True  # relations may come anywhere in the file, also before a checkpoint

    def __init__(self, path: Path) -> None:
        super().__init__(path, "mcp-memory")

    def batches(self, *, batch_size: int, resume: str | None = None) -> Iterator[SourceBatch]:
        records: list[SourceRecord] = []
        failures: list[SourceFailure] = []
        edges: list[SourceEdge] = []
        number = int(resume or 0)
        for number, text in self.lines(resume):
            if self._superseded(number, text):
                continue
            try:
                item = json.loads(text)
                if item.get("type") == "relation":
                    edges.append(
                        SourceEdge(
                            str(item["from"]), str(item["to"]), relation_name(item["relationType"])
                        )
                    )
                elif item.get("type") == "entity":
                    records.append(_entity(item))
                else:
                    raise InvalidInputError(f"unknown line type {item.get('type')!r}")
            except (ValueError, TypeError, KeyError, AttributeError, InvalidInputError) as exc:
                failures.append(SourceFailure(f"line {number}", f"{type(exc).__name__}: {exc}"))
            if len(records) + len(failures) + len(edges) >= batch_size:
                yield SourceBatch(tuple(records), tuple(failures), tuple(edges), str(number))
                records, failures, edges = [], [], []
        if records or failures or edges:
            yield SourceBatch(tuple(records), tuple(failures), tuple(edges), str(number))

    def count(self) -> int:
        with self.path.open("rb") as handle:
            entities = sum(1 for line in handle if b'"entity"' in line)
        return entities - self._skipped_lines()

    def _key(self, text: str) -> str | None:
        try:
            item = json.loads(text)
        except ValueError:
            return None
        if not isinstance(item, dict) or item.get("type") != "entity" or "name" not in item:
            return None
        return str(item["name"]).strip() or None


def _entity(item: dict[str, Any]) -> SourceRecord:
    name = str(item["name"]).strip()
    kind_of = str(item.get("entityType") or "thing").strip()
    observations = [str(o) for o in item.get("observations") or []]
    if not name:
        raise InvalidInputError("an entity has no name")
    content = "\n".join([f"{name} ({kind_of})", *(f"- {o}" for o in observations)])
    return SourceRecord(
        source_id=name,
        content=content,
        kind="entity",
        tags=(kind_of,),
        metadata={"name": name, "entityType": kind_of, "observations": len(observations)},
    )


def relation_name(text: str) -> str:
    """``works at`` → ``works_at``: memvault relation names are lowercase words."""
    name = re.sub(r"[^a-z0-9_\-]+", "_", str(text).strip().lower()).strip("_")[:64]
    return name if name[:1].isalpha() else f"r_{name}"[:64]
