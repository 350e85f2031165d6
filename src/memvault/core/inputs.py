"""Checks on everything a caller hands to memvault, before anything is written.

Each check raises ``InvalidInputError`` with one line that names the field and the rule, so the
CLI, the API, the MCP server, the importers and hand-edited files all reject bad input the same
way and lose nothing. The last part turns checked values into records: a new memory from a
draft, a filter from search options.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from memvault.core.errors import InvalidInputError
from memvault.core.ids import new_id
from memvault.core.records import ListOrder, Memory, MemoryDraft, MemoryFilter, SearchMode
from memvault.core.times import normal_timestamp

# A token budget: a context pack's, or one MCP tool response's. The CLI's options name the
# bounds at start-up, so they live here rather than in the layers that use them.
MIN_TOKEN_BUDGET = 200
MAX_TOKEN_BUDGET = 100_000

MAX_CONTENT_BYTES = 1_000_000  # a memory is a fact, not a document: ingest files as chunks
MAX_TAG_CHARS = 64
MAX_TAGS = 64
MAX_SOURCE_CHARS = 2_048
MAX_METADATA_BYTES = 64_000
MAX_SEARCH_K = 1_000
MAX_GRAPH_DEPTH = 5

_NAME = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@/\-]{0,127}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def utf8_text(value: str, field: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(f"{field} is not valid UTF-8 (byte {exc.start})") from exc
    return value


def content(value: str) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"content must be text, not {type(value).__name__}")
    utf8_text(value, "content")
    if "\x00" in value:
        raise InvalidInputError("content contains a NUL character")
    if not value.strip():
        raise InvalidInputError("content is empty")
    size = len(value.encode("utf-8"))
    if size > MAX_CONTENT_BYTES:
        raise InvalidInputError(
            f"content is {size:,} bytes; the limit for one memory is {MAX_CONTENT_BYTES:,} "
            "(index a long document as a file instead)"
        )
    return value.strip()


def name(value: str, field: str) -> str:
    """Kinds and relations: short lowercase identifiers (an open set)."""
    normal = utf8_text(str(value), field).strip().lower()
    if not _NAME.match(normal):
        raise InvalidInputError(
            f"{field} {value!r} is not allowed: use a lowercase word of letters, digits, - or _ "
            "(at most 64 characters)"
        )
    return normal


def namespace(value: str) -> str:
    normal = utf8_text(str(value), "namespace").strip()
    if not _NAMESPACE.match(normal):
        raise InvalidInputError(
            f"namespace {value!r} is not allowed: use letters, digits and _ . : @ / - "
            "(at most 128 characters, starting with a letter or digit)"
        )
    return normal


def tags(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for raw in values:
        tag = utf8_text(str(raw), "tag").strip()
        if not tag:
            raise InvalidInputError("a tag is empty")
        if len(tag) > MAX_TAG_CHARS or _CONTROL.search(tag):
            raise InvalidInputError(
                f"tag {tag[:20]!r} is not allowed: at most {MAX_TAG_CHARS} printable characters"
            )
        seen[tag] = None
    if len(seen) > MAX_TAGS:
        raise InvalidInputError(f"{len(seen)} tags given; at most {MAX_TAGS} per memory")
    return tuple(seen)


def unit_interval(value: float, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{field} must be a number between 0 and 1") from exc
    if math.isnan(number) or not 0.0 <= number <= 1.0:
        raise InvalidInputError(f"{field} must be between 0 and 1, got {value}")
    return number


def source(value: str | None) -> str | None:
    if value is None:
        return None
    text = utf8_text(str(value), "source").strip()
    if len(text) > MAX_SOURCE_CHARS:
        raise InvalidInputError(f"source is longer than {MAX_SOURCE_CHARS} characters")
    return text or None


def metadata(value: Any) -> dict[str, Any]:
    if value is None or (isinstance(value, dict) and not value):
        return {}  # the common case, without a JSON round trip
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"metadata is not valid JSON: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise InvalidInputError("metadata must be a JSON object")
    try:
        encoded = json.dumps(value, ensure_ascii=False, allow_nan=False)
        encoded.encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"metadata cannot be stored as JSON: {exc}") from exc
    if len(encoded.encode("utf-8")) > MAX_METADATA_BYTES:
        raise InvalidInputError(f"metadata is larger than {MAX_METADATA_BYTES:,} bytes")
    loaded: dict[str, Any] = json.loads(encoded)
    return loaded


def memory_id(value: str) -> str:
    text = str(value).strip()
    if not text or len(text) > 64 or _CONTROL.search(text):
        raise InvalidInputError(f"{value!r} is not a memory id")
    return text


def positive(value: int, field: str, maximum: int) -> int:
    if not isinstance(value, int) or value < 1 or value > maximum:
        raise InvalidInputError(f"{field} must be a whole number from 1 to {maximum}")
    return value


def search_mode(value: object) -> SearchMode:
    try:
        return SearchMode(str(value).strip().lower())
    except ValueError:
        raise InvalidInputError(
            f"unknown search mode {value!r}: use hybrid, keyword or vector"
        ) from None


def list_order(value: object) -> ListOrder:
    try:
        return ListOrder(str(value).strip().lower())
    except ValueError:
        names = ", ".join(order.value for order in ListOrder)
        raise InvalidInputError(f"unknown order {value!r}: use {names}") from None


def label(value: str | None, field: str) -> str | None:
    """A short free-text name (a user, an agent, a model, a title): one line, 1-200 characters."""
    if value is None:
        return None
    text = utf8_text(str(value), field).strip()
    if not text:
        return None
    if len(text) > 200 or "\n" in text or _CONTROL.search(text):
        raise InvalidInputError(f"{field} must be one line of at most 200 characters")
    return text


def local_path(value: str | os.PathLike[str], field: str) -> Path:
    """A path on this machine that a caller named (``~`` expanded): one the file system can
    take (no NUL byte; undecodable bytes are fine, the file system takes bytes)."""
    text = os.fspath(value)
    if "\x00" in text:
        raise InvalidInputError(f"{field} contains a NUL byte")
    if not text.strip():
        raise InvalidInputError(f"{field} is empty")
    return Path(text).expanduser()


def count(value: object, field: str, maximum: int = 1_000_000_000) -> int:
    """A whole number from 0 to ``maximum`` (token counts)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise InvalidInputError(f"{field} must be a whole number from 0 to {maximum:,}")
    return value


def money(value: object, field: str) -> float:
    """An amount of US dollars: a finite number of at least 0."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{field} must be a number of US dollars") from exc
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise InvalidInputError(f"{field} must be a finite amount of at least 0, got {value}")
    return number


def tag_values(value: Any) -> list[str]:
    """Tags as people write them: a list, or one comma-separated string (front matter, JSONL)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    raise InvalidInputError("tags must be a list or a comma-separated string")


# --- records from checked values --------------------------------------------------------------
def new_memory(draft: MemoryDraft, at: str) -> Memory:
    """A memory for ``draft`` with a fresh id; times are ``at`` unless the draft brings its own
    (an import keeps the source's)."""
    created = at if draft.created_at is None else normal_timestamp(draft.created_at)
    return Memory.new(
        new_id(),
        content(draft.content),
        kind=name(draft.kind, "kind"),
        namespace=namespace(draft.namespace),
        tags=tags(draft.tags),
        importance=unit_interval(draft.importance, "importance"),
        confidence=unit_interval(draft.confidence, "confidence"),
        source=source(draft.source),
        metadata=metadata(draft.metadata),
        created_at=created,
        updated_at=created if draft.updated_at is None else normal_timestamp(draft.updated_at),
    )


def memory_filter(
    namespace_: str | None,
    kinds: Iterable[str],
    tags_: Iterable[str],
    since: str | None,
    until: str | None,
    include_superseded: bool,
    *,
    include_chunks: bool = True,
) -> MemoryFilter:
    """Which memories a search or listing may return, from the options a caller gave."""
    return MemoryFilter(
        namespace=None if namespace_ is None else namespace(namespace_),
        kinds=tuple(name(k, "kind") for k in kinds),
        tags=tags(tags_),
        created_after=None if since is None else normal_timestamp(since),
        created_before=None if until is None else normal_timestamp(until),
        include_superseded=include_superseded,
        include_chunks=include_chunks,
    )
