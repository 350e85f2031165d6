"""The session role of the SQLite engine: sessions, conversations, messages, handoffs.

A message is a row of ``memories`` (kind ``message``, ``session_pk`` set: keyword rows, vectors
and embed jobs like any memory) plus a row of ``messages`` with what only a message has. Costs
and other telemetry are in ``session_telemetry.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import apsw

from memvault.core.entity_records import EntityKind
from memvault.core.errors import ConflictError, NotFoundError
from memvault.core.file_records import FileRecord
from memvault.core.records import Memory, MemoryPatch
from memvault.core.session_records import (
    Conversation,
    Handoff,
    Message,
    Role,
    Session,
    SessionRecord,
    SessionStatus,
)
from memvault.storage.sqlite import file_rows, jobs, memory_rows, vectors
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.engine import SqliteEngine

MESSAGE_KIND = "message"
_SESSION_COLUMNS = (
    "s.id, s.user, s.project, s.agent, s.title, s.status, s.started_at, s.last_active_at,"
    " s.ended_at, s.metadata"
)
_MESSAGE_SELECT = (
    "SELECT m.id, s.id, c.id, x.role, m.content, x.tokens, m.created_at, x.summarised"
    " FROM messages x JOIN memories m ON m.pk = x.memory_pk"
    " JOIN conversations c ON c.pk = x.conversation_pk JOIN sessions s ON s.pk = c.session_pk"
)
_HANDOFF_COLUMNS = (
    "h.id, s.id, h.done, h.stopped_at, h.next_steps, h.open_questions, h.touched, h.created_at"
)


class SqliteSessions(SqliteEngine):
    def put_session(self, session: Session) -> None:
        self._write(lambda conn: _upsert_session(conn, session))

    def put_conversation(self, conversation: Conversation) -> None:
        def job(conn: apsw.Connection) -> None:
            _upsert_conversation(conn, require_session(conn, conversation.session_id), conversation)

        self._write(job)

    def get_session(self, session_id: str) -> Session | None:
        row = self._read(
            lambda conn: conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE s.id = ?", (session_id,)
            ).fetchone()
        )
        return None if row is None else _session(row)

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
        clauses, params = [], []
        for column, value in (("user", user), ("project", project), ("agent", agent)):
            if value is not None:
                clauses.append(f"s.{column} = ?")
                params.append(value)
        if statuses:
            clauses.append(f"s.status IN ({','.join('?' * len(statuses))})")
            params.extend(status.value for status in statuses)
        where = " AND ".join(clauses) or "1"
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE {where}"
                " ORDER BY s.last_active_at DESC, s.id LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        )
        return [_session(row) for row in rows]

    def conversations(self, session_id: str) -> list[Conversation]:
        return self._read(lambda conn: _conversations(conn, session_id))

    def log_messages(
        self, session_id: str, messages: Sequence[Message], *, namespace: str, embed: bool
    ) -> None:
        kinds = self.entity_kinds

        def job(conn: apsw.Connection) -> None:
            row = conn.execute(
                "SELECT pk, status FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no session with id {session_id}")
            if row[1] not in (SessionStatus.ACTIVE.value, SessionStatus.PAUSED.value):
                raise ConflictError(
                    f"session {session_id} is {row[1]}: start a new session to log more"
                )
            last = conn.execute(
                "SELECT coalesce(max(x.position), 0) FROM messages x"
                " JOIN memories m ON m.pk = x.memory_pk WHERE m.session_pk = ?",
                (row[0],),
            ).fetchone()
            start = int(last[0]) + 1 if last else 1
            pks = [
                _insert_message(conn, int(row[0]), m, namespace, start + n, kinds)
                for n, m in enumerate(messages)
            ]
            if embed:
                jobs.enqueue(conn, pks)
            if messages:
                newest = max(m.created_at for m in messages)
                conn.execute(
                    "UPDATE sessions SET last_active_at = max(last_active_at, ?),"
                    " status = 'active' WHERE pk = ?",
                    (newest, int(row[0])),
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
        clauses, params = ["s.id = ?"], [session_id]
        if conversation_id is not None:
            clauses.append("c.id = ?")
            params.append(conversation_id)
        if unsummarised:
            clauses.append("x.summarised = 0")
        where = " AND ".join(clauses)
        sql = f"{_MESSAGE_SELECT} WHERE {where} ORDER BY x.position LIMIT ? OFFSET ?"
        rows: list[Row] = self._read(
            lambda conn: conn.execute(sql, (*params, limit, offset)).fetchall()
        )
        return [_message(row) for row in rows]

    def mark_summarised(self, session_id: str, message_ids: Sequence[str] | None) -> int:
        def job(conn: apsw.Connection) -> int:
            session_pk = require_session(conn, session_id)
            chosen = "" if message_ids is None else " AND m.id IN (SELECT value FROM json_each(?))"
            params: list[Any] = [session_pk]
            if message_ids is not None:
                params.append(json.dumps(list(message_ids)))
            conn.execute(
                "UPDATE messages SET summarised = 1 WHERE summarised = 0 AND memory_pk IN"
                f" (SELECT m.pk FROM memories m WHERE m.session_pk = ?{chosen})",
                params,
            )
            return conn.changes()

        return self._write(job)

    def put_handoff(self, handoff: Handoff) -> None:
        def job(conn: apsw.Connection) -> None:
            _insert_handoff(conn, require_session(conn, handoff.session_id), handoff)

        self._write(job)

    def handoffs(
        self, *, session_id: str | None = None, project: str | None = None, limit: int = 10
    ) -> list[tuple[Session, Handoff]]:
        clauses, params = [], []
        if session_id is not None:
            clauses.append("s.id = ?")
            params.append(session_id)
        if project is not None:
            clauses.append("s.project = ?")
            params.append(project)
        where = " AND ".join(clauses) or "1"
        rows: list[Row] = self._read(
            lambda conn: conn.execute(
                f"SELECT {_SESSION_COLUMNS}, {_HANDOFF_COLUMNS} FROM handoffs h"
                f" JOIN sessions s ON s.pk = h.session_pk WHERE {where}"
                " ORDER BY h.created_at DESC, h.id DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
        )
        return [(_session(row[:10]), _handoff(row[10:])) for row in rows]

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
        def job(conn: apsw.Connection) -> None:
            _put_record(conn, record, namespace, embed, self.entity_kinds)
            if file is not None:
                file_rows.upsert_record(conn, file)

        self._write(job)

    def delete_session(self, session_id: str) -> bool:
        return self._write(lambda conn: delete_session_rows(conn, session_id))

    def archive_idle_sessions(self, idle_before: str, *, dry_run: bool) -> list[str]:
        select = (
            "SELECT id FROM sessions WHERE status != 'archived' AND last_active_at < ?"
            " ORDER BY last_active_at"
        )
        if dry_run:
            rows: list[Row] = self._read(lambda c: c.execute(select, (idle_before,)).fetchall())
            return [str(r[0]) for r in rows]

        def job(conn: apsw.Connection) -> list[str]:
            found = [str(r[0]) for r in conn.execute(select, (idle_before,)).fetchall()]
            conn.executemany(
                "UPDATE sessions SET status = 'archived' WHERE id = ?", [(i,) for i in found]
            )
            return found

        return self._write(job)

    def prune_summarised_messages(self, older_than: str, *, dry_run: bool) -> dict[str, int]:
        select = (
            "SELECT m.pk, s.id FROM messages x JOIN memories m ON m.pk = x.memory_pk"
            " JOIN sessions s ON s.pk = m.session_pk"
            " WHERE x.summarised = 1 AND m.created_at < ? ORDER BY m.pk"
        )

        def job(conn: apsw.Connection) -> dict[str, int]:
            rows: list[Row] = conn.execute(select, (older_than,)).fetchall()
            counts: dict[str, int] = {}
            for pk, session_id in rows:
                counts[str(session_id)] = counts.get(str(session_id), 0) + 1
                if not dry_run:
                    memory_rows.delete(conn, int(pk))
            return counts

        return self._read(job) if dry_run else self._write(job)


# --- rows ------------------------------------------------------------------------------------
def delete_session_rows(conn: apsw.Connection, session_id: str) -> bool:
    """The session with its messages (memories with their keyword rows and vectors), then
    everything that cascades from it; False if there is no such session."""
    row = conn.execute("SELECT pk FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        return False
    found: list[Row] = conn.execute(
        "SELECT pk FROM memories WHERE session_pk = ?", (row[0],)
    ).fetchall()
    for (pk,) in found:
        memory_rows.delete(conn, int(pk))
    conn.execute("DELETE FROM sessions WHERE pk = ?", (row[0],))
    return True


def require_session(conn: apsw.Connection, session_id: str) -> int:
    """The pk of session ``session_id``; NotFoundError when there is none."""
    row = conn.execute("SELECT pk FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no session with id {session_id}")
    return int(row[0])


def _upsert_session(conn: apsw.Connection, s: Session) -> int:
    # Not RETURNING (here and below): in the writer's savepoint it costs in proportion to the
    # database's size (storage/sqlite/memory_rows.py); the lookup by the unique key does not.
    conn.execute(
        "INSERT INTO sessions(id, user, project, agent, title, status, started_at,"
        " last_active_at, ended_at, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET user = excluded.user, project = excluded.project,"
        " agent = excluded.agent, title = excluded.title, status = excluded.status,"
        " started_at = excluded.started_at, last_active_at = excluded.last_active_at,"
        " ended_at = excluded.ended_at, metadata = excluded.metadata",
        (
            s.id,
            s.user,
            s.project,
            s.agent,
            s.title,
            s.status.value,
            s.started_at,
            s.last_active_at,
            s.ended_at,
            json.dumps(s.metadata, ensure_ascii=False, sort_keys=True),
        ),
    )
    row = conn.execute("SELECT pk FROM sessions WHERE id = ?", (s.id,)).fetchone()
    assert row is not None  # written just now
    return int(row[0])


def _upsert_conversation(conn: apsw.Connection, session_pk: int, c: Conversation) -> int:
    conn.execute(
        "INSERT INTO conversations(id, session_pk, title, started_at, metadata)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title,"
        " started_at = excluded.started_at, metadata = excluded.metadata"
        " WHERE session_pk = excluded.session_pk",
        (
            c.id,
            session_pk,
            c.title,
            c.started_at,
            json.dumps(c.metadata, ensure_ascii=False, sort_keys=True),
        ),
    )
    row = conn.execute(
        "SELECT pk FROM conversations WHERE id = ? AND session_pk = ?", (c.id, session_pk)
    ).fetchone()
    if row is None:  # the update did nothing: the id is another session's
        raise ConflictError(f"conversation {c.id} belongs to another session")
    return int(row[0])


def _conversation_pk(conn: apsw.Connection, session_pk: int, conversation_id: str) -> int:
    row = conn.execute(
        "SELECT pk FROM conversations WHERE id = ? AND session_pk = ?",
        (conversation_id, session_pk),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no conversation {conversation_id} in this session")
    return int(row[0])


def _insert_message(
    conn: apsw.Connection,
    session_pk: int,
    m: Message,
    namespace: str,
    position: int,
    kinds: frozenset[EntityKind],
) -> int:
    conversation_pk = _conversation_pk(conn, session_pk, m.conversation_id)
    memory = Memory.new(
        m.id, m.content, kind=MESSAGE_KIND, namespace=namespace, created_at=m.created_at
    )
    memory_rows.insert(conn, memory, kinds=kinds, session_pk=session_pk)
    pk = memory_rows.require(conn, m.id)
    conn.execute(
        "INSERT INTO messages(memory_pk, conversation_pk, role, tokens, summarised, position)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (pk, conversation_pk, m.role.value, m.tokens, int(m.summarised), position),
    )
    return pk


def _insert_handoff(conn: apsw.Connection, session_pk: int, h: Handoff) -> None:
    conn.execute(
        "INSERT INTO handoffs(id, session_pk, done, stopped_at, next_steps, open_questions,"
        " touched, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            h.id,
            session_pk,
            h.done,
            h.stopped_at,
            json.dumps(list(h.next_steps), ensure_ascii=False),
            json.dumps(list(h.open_questions), ensure_ascii=False),
            json.dumps(list(h.touched)),
            h.created_at,
        ),
    )


def _session(row: Row) -> Session:
    return Session(
        id=row[0],
        user=row[1],
        project=row[2],
        agent=row[3],
        title=row[4],
        status=SessionStatus(row[5]),
        started_at=row[6],
        last_active_at=row[7],
        ended_at=row[8],
        metadata=json.loads(row[9]),
    )


def _message(row: Row) -> Message:
    return Message(row[0], row[1], row[2], Role(row[3]), row[4], row[5], row[6], bool(row[7]))


def _handoff(row: Row) -> Handoff:
    return Handoff(
        row[0],
        row[1],
        row[2],
        row[3],
        tuple(json.loads(row[4])),
        tuple(json.loads(row[5])),
        tuple(json.loads(row[6])),
        row[7],
    )


def _conversations(conn: apsw.Connection, session_id: str) -> list[Conversation]:
    rows: list[Row] = conn.execute(
        "SELECT c.id, s.id, c.title, c.started_at, c.metadata FROM conversations c"
        " JOIN sessions s ON s.pk = c.session_pk WHERE s.id = ? ORDER BY c.started_at, c.pk",
        (session_id,),
    ).fetchall()
    return [Conversation(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]


def _record(conn: apsw.Connection, session_id: str) -> SessionRecord | None:
    row = conn.execute(
        f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE s.id = ?", (session_id,)
    ).fetchone()
    if row is None:
        return None
    messages = conn.execute(f"{_MESSAGE_SELECT} WHERE s.id = ? ORDER BY x.position", (session_id,))
    handoffs = conn.execute(
        f"SELECT {_HANDOFF_COLUMNS} FROM handoffs h JOIN sessions s ON s.pk = h.session_pk"
        " WHERE s.id = ? ORDER BY h.created_at, h.pk",
        (session_id,),
    )
    return SessionRecord(
        _session(row),
        tuple(_conversations(conn, session_id)),
        tuple(_message(r) for r in messages),
        tuple(_handoff(r) for r in handoffs),
    )


def _put_record(
    conn: apsw.Connection,
    record: SessionRecord,
    namespace: str,
    embed: bool,
    kinds: frozenset[EntityKind],
) -> None:
    session_pk = _upsert_session(conn, record.session)
    for conversation in record.conversations:
        _upsert_conversation(conn, session_pk, conversation)
    rows: list[Row] = conn.execute(
        "SELECT id, pk, content FROM memories WHERE session_pk = ?", (session_pk,)
    ).fetchall()
    old = {str(r[0]): (int(r[1]), str(r[2])) for r in rows}
    wanted = {m.id for m in record.messages}
    for memory_id, (pk, _) in old.items():
        if memory_id not in wanted:
            memory_rows.delete(conn, pk)
    added = []
    for position, message in enumerate(record.messages, start=1):
        if message.id not in old:
            added.append(_insert_message(conn, session_pk, message, namespace, position, kinds))
            continue
        pk, content = old[message.id]
        if content != message.content:
            memory_rows.update(
                conn, pk, MemoryPatch(content=message.content), message.created_at, kinds=kinds
            )
            vectors.delete(conn, pk)  # a vector of the old text would mislead searches
            jobs.requeue(conn, pk, embed=embed)
        conn.execute(
            "UPDATE memories SET created_at = ?, valid_from = ? WHERE pk = ?",
            (message.created_at, message.created_at, pk),
        )
        conn.execute(
            "UPDATE messages SET conversation_pk = ?, role = ?, tokens = ?, summarised = ?,"
            " position = ? WHERE memory_pk = ?",
            (
                _conversation_pk(conn, session_pk, message.conversation_id),
                message.role.value,
                message.tokens,
                int(message.summarised),
                position,
                pk,
            ),
        )
    conn.execute("UPDATE memories SET namespace = ? WHERE session_pk = ?", (namespace, session_pk))
    if embed:
        jobs.enqueue(conn, added)
    conn.execute("DELETE FROM handoffs WHERE session_pk = ?", (session_pk,))
    for handoff in record.handoffs:
        _insert_handoff(conn, session_pk, handoff)
