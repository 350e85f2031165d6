"""User preferences and learned patterns, kept as memories.

A preference (``key`` = ``value``, for a user and a scope) is a memory of kind ``preference``;
setting it again supersedes the previous one, so a change keeps its history and search and the
context pack only see the current value. A learned pattern is a memory of kind ``pattern``
whose evidence count and last sighting live in its metadata; each observation raises its
confidence by a simple, bounded rule (``confidence = 1 - 1 / (1 + evidence)``: 1 sighting 0.5,
3 sightings 0.75). Being memories, both are Markdown files in the folder and come back with
``reindex``.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any, Protocol

from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.core.records import DEFAULT_NAMESPACE, InsertOutcome, Memory
from memvault.core.times import now_iso

PREFERENCE = "preference"
PATTERN = "pattern"
_LOOKUP = 10_000  # preferences and patterns looked at when finding the current one


class MemoryAPI(Protocol):
    """The part of :class:`~memvault.service.vault.Vault` preferences are written through (so
    they follow every rule of a memory write: inputs, dedup, files, embed jobs)."""

    def remember(
        self,
        content: str,
        *,
        kind: str = ...,
        namespace: str = ...,
        tags: Iterable[str] = ...,
        importance: float = ...,
        confidence: float = ...,
        metadata: dict[str, Any] | None = ...,
        supersedes: str | None = ...,
    ) -> InsertOutcome: ...

    def get(self, memory_id: str, *, touch: bool = ...) -> Memory: ...

    def list(
        self,
        *,
        namespace: str | None = ...,
        kinds: Iterable[str] = ...,
        tags: Iterable[str] = ...,
        include_superseded: bool = ...,
        limit: int = ...,
    ) -> builtins.list[Memory]: ...

    def update(
        self,
        memory_id: str,
        *,
        confidence: float | None = ...,
        metadata: dict[str, Any] | None = ...,
    ) -> Memory: ...


class Preferences:
    def __init__(self, vault: MemoryAPI) -> None:
        self._vault = vault

    def set(
        self, key: str, value: str, *, user: str | None = None, scope: str | None = None
    ) -> Memory:
        """Set ``key`` to ``value`` (for ``user`` and ``scope``); the old value becomes history."""
        key = _key(key)
        user, scope = inputs.label(user, "user"), inputs.label(scope, "scope")
        text = inputs.content(f"{key}: {inputs.content(value)}")
        old = self.get(key, user=user, scope=scope)
        metadata = {"preference": key, "user": user, "scope": scope}
        outcome = self._vault.remember(
            text,
            kind=PREFERENCE,
            metadata={k: v for k, v in metadata.items() if v is not None},
            tags=[f"preference:{key}"],
            importance=0.7,
            supersedes=None if old is None or old.content == text else old.id,
        )
        return self._vault.get(outcome.id, touch=False)

    def get(self, key: str, *, user: str | None = None, scope: str | None = None) -> Memory | None:
        """The current preference for ``key`` (None if never set)."""
        key = _key(key)
        tagged = self._vault.list(kinds=[PREFERENCE], tags=[f"preference:{key}"], limit=_LOOKUP)
        for memory in tagged:  # by its tag: not a scan of every preference
            data = memory.metadata
            if (data.get("preference"), data.get("user"), data.get("scope")) == (key, user, scope):
                return memory
        return None

    def list(self, *, user: str | None = None) -> builtins.list[Memory]:
        """Current preferences (the user's and everyone's), newest first."""
        return [m for m in self._current(PREFERENCE) if m.metadata.get("user") in (None, user)]

    def history(
        self, key: str, *, user: str | None = None, scope: str | None = None
    ) -> builtins.list[Memory]:
        """Every value ``key`` had, newest first."""
        key = _key(key)
        everything = self._vault.list(
            kinds=[PREFERENCE],
            tags=[f"preference:{key}"],
            include_superseded=True,
            limit=_LOOKUP,
        )
        return [
            m
            for m in everything
            if (m.metadata.get("preference"), m.metadata.get("user"), m.metadata.get("scope"))
            == (key, user, scope)
        ]

    # --- learned patterns ---------------------------------------------------------------------
    def observe(self, pattern: str, *, project: str | None = None, evidence: int = 1) -> Memory:
        """Record that ``pattern`` was seen (again): evidence grows, so does confidence."""
        text = inputs.content(pattern)
        evidence = inputs.count(evidence, "evidence", 1_000_000)
        if evidence < 1:
            raise InvalidInputError("evidence must be at least 1")
        namespace = DEFAULT_NAMESPACE if project is None else inputs.namespace(project)
        found = next((m for m in self._current(PATTERN, namespace) if m.content == text), None)
        total = evidence + (0 if found is None else int(found.metadata.get("evidence", 0)))
        metadata = {"evidence": total, "last_seen": now_iso()}
        confidence = 1 - 1 / (1 + total)
        if found is None:
            outcome = self._vault.remember(
                text, kind=PATTERN, namespace=namespace, metadata=metadata, confidence=confidence
            )
            return self._vault.get(outcome.id, touch=False)
        return self._vault.update(found.id, metadata=metadata, confidence=confidence)

    def patterns(self, *, project: str | None = None) -> builtins.list[Memory]:
        """Current patterns, most evidence first."""
        namespace = None if project is None else inputs.namespace(project)
        found = self._current(PATTERN, namespace)
        return sorted(found, key=lambda m: (-int(m.metadata.get("evidence", 0)), m.id))

    def _current(self, kind: str, namespace: str | None = None) -> builtins.list[Memory]:
        return self._vault.list(kinds=[kind], namespace=namespace, limit=_LOOKUP)


def _key(key: str) -> str:
    text = inputs.label(key, "key")
    if text is None:
        raise InvalidInputError("a preference needs a key")
    return text
