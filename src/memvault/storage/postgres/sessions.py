"""The session role of the PostgreSQL engine: sessions, conversations, messages, handoffs.

A message is a row of ``memories`` (kind ``message``, ``session_pk`` set: keyword rows, vectors
and embed jobs like any memory) plus a row of ``messages`` with what only a message has; the
rows' SQL is in ``session_rows.py``. Costs, other telemetry and retention are in
``session_telemetry.py``.

SQLite has one writer, so two loggers of the same session take turns; here they would run at
once, and both could give their first message the same position. Every write that numbers a
session's messages (``log_messages``, ``put_session_record``) therefore holds the session's row
lock first, which makes them take turns per session (other sessions are not held up).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from memvault.core.entity_records import EntityKind
from memvault.core.errors import ConflictError, NotFoundError
from memvault.core.file_records import FileRecord
from memvault.core.records import MemoryPatch
from memvault.core.session_records import (
    Conversation,
    Handoff,
    Message,
    Session,
    SessionRecord,
    SessionStatus,
)
from memvault.storage.postgres import file_rows, jobs, memory_rows, session_rows, vectors
from memvault.storage.postgres.engine import Connection, PostgresEngine
from memvault.storage.postgres.session_rows import (
    HANDOFF_COLUMNS,
    MESSAGE_SELECT,
    SESSION_COLUMNS,
    handoff_of,
    message_of,
    require_session,
    session_of,
)


class PostgresSessions(PostgresEngine):
    def put_session(self, session: Session) -> None:
        self._write(lambda conn: session_rows.upsert_session(conn, session))

    def put_conversation(self, conversation: Conversation) -> None:
        def job(conn: Connection) -> None:
            session_pk = require_session(conn, conversation.session_id)
            session_rows.upsert_conversation(conn, session_pk, conversation)

        self._write(job)

    def get_session(self, session_id: str) -> Session | None:
        return self._read(lambda conn: session_rows.fetch_session(conn, session_id))

    def list_sessions(
        self,
        *,
        user: str | None = None,
        project: str | None = None,
        agent: str | None = None,
        statuses: Sequence[SessionStatus] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> list[Session]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (('"user"', user), ("project", project), ("agent", agent)):
            if value is not None:
                clauses.append(f"s.{column} = %s")
                params.append(value)
        if statuses:
            clauses.append("s.status = ANY(%s)")
            params.append([status.value for status in statuses])
        sql = (
            f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE {' AND '.join(clauses) or 'true'}"
            " ORDER BY s.last_active_at DESC, s.id LIMIT %s OFFSET %s"
        )
        return self._read(
            lambda conn: [session_of(r) for r in conn.execute(sql, (*params, limit, offset))]
        )

    def conversations(self, session_id: str) -> list[Conversation]:
        return self._read(lambda conn: session_rows.conversations_of(conn, session_id))

    def log_messages(
        self, session_id: str, messages: Sequence[Message], *, namespace: str, embed: bool
    ) -> None:
        kinds = self.entity_kinds

        def job(conn: Connection) -> None:
            row = conn.execute(
                "SELECT pk, status FROM sessions WHERE id = %s FOR NO KEY UPDATE", (session_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no session with id {session_id}")
            session_pk = int(row[0])
            if row[1] not in (SessionStatus.ACTIVE.value, SessionStatus.PAUSED.value):
                raise ConflictError(
                    f"session {session_id} is {row[1]}: start a new session to log more"
                )
            last = conn.execute(
                "SELECT coalesce(max(x.position), 0) FROM messages x"
                " JOIN memories m ON m.pk = x.memory_pk WHERE m.session_pk = %s",
                (session_pk,),
            ).fetchone()
            start = int(last[0]) + 1 if last else 1
            placed = [(m, start + n) for n, m in enumerate(messages)]
            pks = session_rows.insert_messages(conn, session_pk, placed, namespace, kinds)
            if embed:
                jobs.enqueue(conn, pks)
            if messages:
                newest = max(m.created_at for m in messages)
                conn.execute(
                    "UPDATE sessions SET last_active_at = greatest(last_active_at, %s),"
                    " status = 'active' WHERE pk = %s",
                    (newest, session_pk),
                )

        self._write(job)

    def messages(
        self,
        session_id: str,
        *,
        conversation_id: str | None = None,
        unsummarised: bool = False,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[Message]:
        clauses, params = ["s.id = %s"], [session_id]
        if conversation_id is not None:
            clauses.append("c.id = %s")
            params.append(conversation_id)
        if unsummarised:
            clauses.append("NOT x.summarised")
        sql = (
            f"{MESSAGE_SELECT} WHERE {' AND '.join(clauses)} ORDER BY x.position LIMIT %s OFFSET %s"
        )
        return self._read(
            lambda conn: [message_of(r) for r in conn.execute(sql, (*params, limit, offset))]
        )

    def mark_summarised(self, session_id: str, message_ids: Sequence[str] | None) -> int:
        def job(conn: Connection) -> int:
            params: list[Any] = [require_session(conn, session_id)]
            chosen = ""
            if message_ids is not None:
                chosen = " AND m.id = ANY(%s)"
                params.append(list(message_ids))
            done = conn.execute(
                "UPDATE messages SET summarised = true WHERE NOT summarised AND memory_pk IN"
                f" (SELECT m.pk FROM memories m WHERE m.session_pk = %s{chosen})",
                params,
            )
            return done.rowcount

        return self._write(job)

    def put_handoff(self, handoff: Handoff) -> None:
        def job(conn: Connection) -> None:
            session_pk = require_session(conn, handoff.session_id)
            session_rows.insert_handoffs(conn, session_pk, [handoff])

        self._write(job)

    def handoffs(
        self, *, session_id: str | None = None, project: str | None = None, limit: int = 10
    ) -> list[tuple[Session, Handoff]]:
        clauses: list[str] = []
        params: list[Any] = []
        if session_id is not None:
            clauses.append("s.id = %s")
            params.append(session_id)
        if project is not None:
            clauses.append("s.project = %s")
            params.append(project)
        sql = (
            f"SELECT {SESSION_COLUMNS}, {HANDOFF_COLUMNS} FROM handoffs h"
            f" JOIN sessions s ON s.pk = h.session_pk WHERE {' AND '.join(clauses) or 'true'}"
            " ORDER BY h.created_at DESC, h.id DESC LIMIT %s"
        )
        return self._read(
            lambda conn: [
                (session_of(r[:10]), handoff_of(r[10:]))
                for r in conn.execute(sql, (*params, limit))
            ]
        )

    def session_record(self, session_id: str) -> SessionRecord | None:
        return self._read(lambda conn: _record(conn, session_id))

    def put_session_record(
        self,
        record: SessionRecord,
        *,
        namespace: str,
        embed: bool,
        file: FileRecord | None = None,
    ) -> None:
        def job(conn: Connection) -> None:
            _put_record(conn, record, namespace, embed, self.entity_kinds)
            if file is not None:
                file_rows.upsert_record(conn, file)

        self._write(job)

    def delete_session(self, session_id: str) -> bool:
        return self._write(lambda conn: session_rows.delete_session_rows(conn, session_id))


# --- records ----------------------------------------------------------------------------------
def _record(conn: Connection, session_id: str) -> SessionRecord | None:
    session = session_rows.fetch_session(conn, session_id)
    if session is None:
        return None
    messages = conn.execute(f"{MESSAGE_SELECT} WHERE s.id = %s ORDER BY x.position", (session_id,))
    handoffs = conn.execute(
        f"SELECT {HANDOFF_COLUMNS} FROM handoffs h JOIN sessions s ON s.pk = h.session_pk"
        " WHERE s.id = %s ORDER BY h.created_at, h.pk",
        (session_id,),
    )
    return SessionRecord(
        session,
        tuple(session_rows.conversations_of(conn, session_id)),
        tuple(message_of(r) for r in messages),
        tuple(handoff_of(r) for r in handoffs),
    )


def _put_record(
    conn: Connection,
    record: SessionRecord,
    namespace: str,
    embed: bool,
    kinds: frozenset[EntityKind],
) -> None:
    """Make the session what its file says: messages added, changed and removed by id,
    handoffs replaced; conversations the file leaves out are kept."""
    session_pk = session_rows.upsert_session(conn, record.session)  # holds the session's row
    for conversation in record.conversations:
        session_rows.upsert_conversation(conn, session_pk, conversation)
    rows = conn.execute(
        "SELECT id, pk, content FROM memories WHERE session_pk = %s", (session_pk,)
    ).fetchall()
    old = {str(r[0]): (int(r[1]), str(r[2])) for r in rows}
    wanted = {m.id for m in record.messages}
    for memory_id, (pk, _) in old.items():
        if memory_id not in wanted:
            memory_rows.delete(conn, pk)
    conversations = session_rows.conversation_pks(conn, session_pk)
    fresh: list[tuple[Message, int]] = []
    for position, message in enumerate(record.messages, start=1):
        if message.id not in old:
            fresh.append((message, position))
            continue
        pk, content = old[message.id]
        if content != message.content:
            memory_rows.update(
                conn, pk, MemoryPatch(content=message.content), message.created_at, kinds=kinds
            )
            vectors.delete(conn, pk)  # a vector of the old text would mislead searches
            jobs.requeue(conn, pk, embed=embed)
        _restate_message(conn, pk, message, position, conversations)
    added = session_rows.insert_messages(conn, session_pk, fresh, namespace, kinds)
    conn.execute(
        "UPDATE memories SET namespace = %s WHERE session_pk = %s", (namespace, session_pk)
    )
    if embed:
        jobs.enqueue(conn, added)
    conn.execute("DELETE FROM handoffs WHERE session_pk = %s", (session_pk,))
    session_rows.insert_handoffs(conn, session_pk, record.handoffs)


def _restate_message(
    conn: Connection, pk: int, message: Message, position: int, conversations: dict[str, int]
) -> None:
    """A kept message's fields as the record has them (its text is the caller's)."""
    conversation_pk = session_rows.conversation_pk(conversations, message.conversation_id)
    conn.execute(
        "UPDATE memories SET created_at = %s, valid_from = %s WHERE pk = %s",
        (message.created_at, message.created_at, pk),
    )
    conn.execute(
        "UPDATE messages SET conversation_pk = %s, role = %s, tokens = %s, summarised = %s,"
        " position = %s WHERE memory_pk = %s",
        (conversation_pk, message.role.value, message.tokens, message.summarised, position, pk),
    )
