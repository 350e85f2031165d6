"""Turning what a caller passed into checked domain records: a new memory, a search filter.

Every value goes through :mod:`memvault.inputs`, so the API, the CLI, the MCP server and the
importers apply the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from memvault import inputs
from memvault.ids import content_hash, format_timestamp, new_id, parse_timestamp
from memvault.models import Memory, MemoryDraft, MemoryFilter


def new_memory(draft: MemoryDraft, at: str) -> Memory:
    """A memory for ``draft`` with a fresh id; times are ``at`` unless the draft brings its own
    (an import keeps the source's)."""
    text = inputs.content(draft.content)
    created = at if draft.created_at is None else timestamp(draft.created_at)
    updated = created if draft.updated_at is None else timestamp(draft.updated_at)
    return Memory(
        id=new_id(),
        content=text,
        kind=inputs.name(draft.kind, "kind"),
        namespace=inputs.namespace(draft.namespace),
        tags=inputs.tags(draft.tags),
        importance=inputs.unit_interval(draft.importance, "importance"),
        confidence=inputs.unit_interval(draft.confidence, "confidence"),
        source=inputs.source(draft.source),
        metadata=inputs.metadata(draft.metadata),
        content_hash=content_hash(text),
        created_at=created,
        updated_at=updated,
        accessed_at=None,
        access_count=0,
        valid_from=created,
        valid_to=None,
        superseded_by=None,
    )


def memory_filter(
    namespace: str | None,
    kinds: Iterable[str],
    tags: Iterable[str],
    since: str | None,
    until: str | None,
    include_superseded: bool,
    *,
    include_chunks: bool = True,
) -> MemoryFilter:
    return MemoryFilter(
        namespace=None if namespace is None else inputs.namespace(namespace),
        kinds=tuple(inputs.name(k, "kind") for k in kinds),
        tags=inputs.tags(tags),
        created_after=None if since is None else timestamp(since),
        created_before=None if until is None else timestamp(until),
        include_superseded=include_superseded,
        include_chunks=include_chunks,
    )


def timestamp(text: str) -> str:
    return format_timestamp(parse_timestamp(text))
