"""The SQL of entity reads (``EntityIndex``): counts, an entity's page, memories sharing
entities. Both engines keep the same ``entities`` and ``memory_entities`` tables, so the text is
the same; only the parameter mark differs (``?`` for SQLite, ``%s`` for psycopg), as in
``memory_filter.py``. Each function gives the statement and its parameters in order.
"""

from __future__ import annotations

from typing import Any

from memvault.core.entity_records import EntityKind
from memvault.core.records import MemoryFilter
from memvault.storage.memory_filter import filter_sql

Query = tuple[str, list[Any]]

# Ties of a count fall by key (PostgreSQL's columns are ``COLLATE "C"``: byte order on both).
_COUNTED = "GROUP BY e.pk, e.key, e.name, e.kind ORDER BY n DESC, e.key"
_NOTE_PATH = "CASE WHEN f.root = '' THEN f.path ELSE f.root || '/' || f.path END"


def entity_pk(mark: str) -> str:
    return f"SELECT pk FROM entities WHERE key = {mark}"


def counts(where: MemoryFilter, kind: EntityKind | None, limit: int, mark: str) -> Query:
    """Entities with how many memories ``where`` admits mention them, most mentioned first."""
    condition, params = filter_sql(where, mark)
    if kind is not None:
        condition += f" AND e.kind = {mark}"
        params.append(kind.value)
    sql = (
        "SELECT e.key, e.name, e.kind, count(*) AS n FROM memory_entities l"
        " JOIN entities e ON e.pk = l.entity_pk JOIN memories m ON m.pk = l.memory_pk"
        f" WHERE {condition} {_COUNTED} LIMIT {mark}"
    )
    return sql, [*params, limit]


def seen(pk: int, where: MemoryFilter, mark: str) -> Query:
    """How many memories ``where`` admits mention the entity, the first and last created_at."""
    condition, params = filter_sql(where, mark)
    sql = (
        "SELECT count(*), min(m.created_at), max(m.created_at) FROM memory_entities l"
        f" JOIN memories m ON m.pk = l.memory_pk WHERE l.entity_pk = {mark} AND {condition}"
    )
    return sql, [pk, *params]


def notes(pk: int, namespace: str | None, limit: int, mark: str) -> Query:
    """Paths of the notes whose chunks mention the entity, in path order."""
    params: list[Any] = [pk]
    in_namespace = ""
    if namespace is not None:
        in_namespace = f" AND m.namespace = {mark}"
        params.append(namespace)
    sql = (
        f"SELECT DISTINCT {_NOTE_PATH} AS p FROM memory_entities l"
        " JOIN memories m ON m.pk = l.memory_pk JOIN files f ON f.pk = m.chunk_of"
        f" WHERE l.entity_pk = {mark} AND f.kind = 'note'{in_namespace} ORDER BY p LIMIT {mark}"
    )
    return sql, [*params, limit]


def co_occurring(pk: int, where: MemoryFilter, limit: int, mark: str) -> Query:
    """The entities mentioned beside this one, by how many memories ``where`` admits."""
    condition, params = filter_sql(where, mark)
    sql = (
        "SELECT e.key, e.name, e.kind, count(*) AS n FROM memory_entities l"
        " JOIN memory_entities o ON o.memory_pk = l.memory_pk AND o.entity_pk <> l.entity_pk"
        " JOIN entities e ON e.pk = o.entity_pk JOIN memories m ON m.pk = l.memory_pk"
        f" WHERE l.entity_pk = {mark} AND {condition} {_COUNTED} LIMIT {mark}"
    )
    return sql, [pk, *params, limit]


def sharing(memory_id: str, where: MemoryFilter, limit: int, mark: str) -> Query:
    """Memories ``where`` admits that share an entity with ``memory_id``, by how many they
    share, then newest first."""
    condition, params = filter_sql(where, mark)
    sql = (
        "SELECT m.id, count(*) AS n FROM memory_entities l"
        " JOIN memory_entities o ON o.entity_pk = l.entity_pk AND o.memory_pk <> l.memory_pk"
        " JOIN memories m ON m.pk = o.memory_pk"
        f" WHERE l.memory_pk = (SELECT pk FROM memories WHERE id = {mark}) AND {condition}"
        f" GROUP BY m.pk, m.id ORDER BY n DESC, m.pk DESC LIMIT {mark}"
    )
    return sql, [memory_id, *params, limit]
