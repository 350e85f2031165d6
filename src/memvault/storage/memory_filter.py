"""A :class:`MemoryFilter` as a SQL condition on the ``memories`` table (alias ``m``), and a
:class:`ListOrder` as its ``ORDER BY``.

Both engines keep the same tables and columns, so the condition is the same text; only the
parameter mark differs (``?`` for SQLite, ``%s`` for psycopg).
"""

from __future__ import annotations

from typing import Any

from memvault.core.records import ListOrder, MemoryFilter, MessageScope

# ``NULLS LAST`` is said, not left to the engine: SQLite sorts NULL first ascending, PostgreSQL
# last, so a descending NULL would land at opposite ends. Ids are text in byte order on both
# (PostgreSQL's columns are ``COLLATE "C"``), so ties fall the same way.
_ORDER_BY = {
    ListOrder.RECENT: "m.pk DESC",
    ListOrder.IMPORTANCE: "m.importance DESC, m.id DESC",
    ListOrder.CONFIDENCE: "m.confidence DESC, m.id DESC",
    ListOrder.ACCESS: "m.access_count DESC, m.accessed_at DESC NULLS LAST, m.id DESC",
}


def order_sql(order: ListOrder) -> str:
    """The ``ORDER BY`` list of a listing (without the keywords)."""
    return _ORDER_BY[order]


def filter_sql(where: MemoryFilter, mark: str) -> tuple[str, list[Any]]:
    """The condition and its parameters, in order."""
    clauses: list[str] = []
    params: list[Any] = []
    if where.namespace is not None:
        clauses.append(f"m.namespace = {mark}")
        params.append(where.namespace)
    if where.kinds:
        clauses.append(f"m.kind IN ({', '.join(mark for _ in where.kinds)})")
        params.extend(where.kinds)
    for tag in where.tags:
        clauses.append(f"m.pk IN (SELECT t.memory_pk FROM memory_tags t WHERE t.tag = {mark})")
        params.append(tag)
    for key in where.entities:
        clauses.append(
            "m.pk IN (SELECT l.memory_pk FROM memory_entities l"
            f" WHERE l.entity_pk = (SELECT e.pk FROM entities e WHERE e.key = {mark}))"
        )
        params.append(key)
    if where.created_after is not None:
        clauses.append(f"m.created_at >= {mark}")
        params.append(where.created_after)
    if where.created_before is not None:
        clauses.append(f"m.created_at < {mark}")
        params.append(where.created_before)
    if not where.include_chunks:
        clauses.append("m.chunk_of IS NULL")
    if where.messages is MessageScope.EXCLUDE and where.session_id is None:
        clauses.append("m.session_pk IS NULL")
    elif where.messages is MessageScope.ONLY:
        clauses.append("m.session_pk IS NOT NULL")
    if where.min_importance is not None:
        clauses.append(f"m.importance >= {mark}")
        params.append(where.min_importance)
    if where.min_confidence is not None:
        clauses.append(f"m.confidence >= {mark}")
        params.append(where.min_confidence)
    if where.session_id is not None:
        clauses.append(f"m.session_pk = (SELECT pk FROM sessions WHERE id = {mark})")
        params.append(where.session_id)
    if not where.include_superseded:
        clauses.append("m.valid_to IS NULL")
    return (" AND ".join(clauses) or "1 = 1"), params
