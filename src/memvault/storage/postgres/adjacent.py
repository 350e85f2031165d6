"""The turns around a hit: messages said just before and after it in the same conversation.

A conversation answers a question over several turns ("Did you go?" / "Yes, in May"), so the
turn that matched a query is often next to the one that holds the answer. Search asks for the
messages within ``span`` positions of its best hits and ranks them just under the hit
(``service.neighbours``). Only messages have neighbours: chunks of a file overlap by design,
and memories of their own have no order that means anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from memvault.core.records import MemoryFilter
from memvault.storage.postgres.engine import Connection, PostgresEngine
from memvault.storage.postgres.memory_rows import filter_sql

Adjacent = dict[str, list[tuple[str, int]]]


class PostgresAdjacent(PostgresEngine):
    def adjacent_messages(self, ids: Sequence[str], where: MemoryFilter, *, span: int) -> Adjacent:
        """For each of ``ids`` that is a message: (id, distance) of the messages at most ``span``
        positions away in its conversation that ``where`` admits, nearest first."""
        if not ids or span <= 0:
            return {}
        condition, params = filter_sql(where)
        sql = (
            "WITH hit AS ("
            " SELECT h.id, h.pk, x.conversation_pk, x.position FROM memories h"
            " JOIN messages x ON x.memory_pk = h.pk WHERE h.id = ANY(%s))"
            " SELECT hit.id, m.id, abs(y.position - hit.position) AS distance FROM hit"
            " JOIN messages y ON y.conversation_pk = hit.conversation_pk"
            "  AND y.position BETWEEN hit.position - %s AND hit.position + %s"
            "  AND y.memory_pk != hit.pk"
            " JOIN memories m ON m.pk = y.memory_pk"
            f" WHERE {condition} ORDER BY hit.id, distance, y.position"
        )

        def job(conn: Connection) -> Adjacent:
            found: Adjacent = {}
            for hit, near, distance in conn.execute(sql, (list(ids), span, span, *params)):
                found.setdefault(str(hit), []).append((str(near), int(distance)))
            return found

        return self._read(job)
