"""SQL for the rows of sessions, conversations, messages and handoffs (PostgreSQL).

Functions of a connection, as ``memory_rows.py`` is, so the session and telemetry roles compose
them inside one transaction. A message is a row of ``memories`` (kind ``message``,
``session_pk`` set) plus a row of ``messages``; ``summarised`` is a boolean here (an integer 0/1
in SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from memvault.core.entity_records import EntityKind
from memvault.core.errors import ConflictError, NotFoundError
from memvault.core.records import Memory
from memvault.core.session_records import (
    Conversation,
    Handoff,
    Message,
    Role,
    Session,
    SessionStatus,
)
from memvault.storage.postgres import memory_rows

Connection = psycopg.Connection[Any]

MESSAGE_KIND = "message"
SESSION_COLUMNS = (
    's.id, s."user", s.project, s.agent, s.title, s.status, s.started_at, s.last_active_at,'
    " s.ended_at, s.metadata"
)
MESSAGE_SELECT = (
    "SELECT m.id, s.id, c.id, x.role, m.content, x.tokens, m.created_at, x.summarised"
    " FROM messages x JOIN memories m ON m.pk = x.memory_pk"
    " JOIN conversations c ON c.pk = x.conversation_pk JOIN sessions s ON s.pk = c.session_pk"
)
HANDOFF_COLUMNS = (
    "h.id, s.id, h.done, h.stopped_at, h.next_steps, h.open_questions, h.touched, h.created_at"
)


def require_session(conn: Connection, session_id: str, *, lock: bool = True) -> int:
    """The pk of session ``session_id``; NotFoundError when there is none.

    In a write (``lock``) the row is held ``FOR KEY SHARE`` until commit, the lock a foreign
    key takes anyway: a ``delete_session`` running at the same moment waits for this
    transaction, or wins first and this one sees no session (NotFoundError, as SQLite's single
    writer would give) instead of a foreign-key error. A read-only transaction takes no lock.
    """
    sql = "SELECT pk FROM sessions WHERE id = %s" + (" FOR KEY SHARE" if lock else "")
    row = conn.execute(sql, (session_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no session with id {session_id}")
    return int(row[0])


def session_pks(conn: Connection, session_ids: Sequence[str]) -> dict[str, int]:
    """id → pk of each session a write batch names; NotFoundError for the first unknown one."""
    return {sid: require_session(conn, sid) for sid in dict.fromkeys(session_ids)}


def upsert_session(conn: Connection, s: Session) -> int:
    row = conn.execute(
        'INSERT INTO sessions(id, "user", project, agent, title, status, started_at,'
        " last_active_at, ended_at, metadata) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ' ON CONFLICT(id) DO UPDATE SET "user" = excluded."user", project = excluded.project,'
        " agent = excluded.agent, title = excluded.title, status = excluded.status,"
        " started_at = excluded.started_at, last_active_at = excluded.last_active_at,"
        " ended_at = excluded.ended_at, metadata = excluded.metadata RETURNING pk",
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
            Jsonb(s.metadata),
        ),
    ).fetchone()
    assert row is not None  # RETURNING yields the written row
    return int(row[0])


def upsert_conversation(conn: Connection, session_pk: int, c: Conversation) -> int:
    row = conn.execute(
        "INSERT INTO conversations(id, session_pk, title, started_at, metadata)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT(id) DO UPDATE SET title = excluded.title,"
        " started_at = excluded.started_at, metadata = excluded.metadata"
        " WHERE conversations.session_pk = excluded.session_pk RETURNING pk",
        (c.id, session_pk, c.title, c.started_at, Jsonb(c.metadata)),
    ).fetchone()
    if row is None:
        raise ConflictError(f"conversation {c.id} belongs to another session")
    return int(row[0])


def conversation_pks(conn: Connection, session_pk: int) -> dict[str, int]:
    """id → pk of the session's conversations (a batch of messages looks each one up)."""
    rows = conn.execute("SELECT id, pk FROM conversations WHERE session_pk = %s", (session_pk,))
    return {str(r[0]): int(r[1]) for r in rows}


def conversation_pk(conversations: dict[str, int], conversation_id: str) -> int:
    pk = conversations.get(conversation_id)
    if pk is None:
        raise NotFoundError(f"no conversation {conversation_id} in this session")
    return pk


def insert_messages(
    conn: Connection,
    session_pk: int,
    placed: Sequence[tuple[Message, int]],
    namespace: str,
    kinds: frozenset[EntityKind],
) -> list[int]:
    """Insert each ``(message, position)`` as a memory and a ``messages`` row; their pks.

    NotFoundError, before anything is written, when a message names a conversation the
    session does not have."""
    if not placed:
        return []
    conversations = conversation_pks(conn, session_pk)
    of = [conversation_pk(conversations, m.conversation_id) for m, _ in placed]
    memories = [
        Memory.new(m.id, m.content, kind=MESSAGE_KIND, namespace=namespace, created_at=m.created_at)
        for m, _ in placed
    ]
    inserted = memory_rows.insert_many(conn, memories, kinds=kinds, session_pk=session_pk)
    pks = [pk for _, pk in inserted if pk is not None]
    assert len(pks) == len(placed)  # a message is never deduped
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO messages(memory_pk, conversation_pk, role, tokens, summarised, position)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (pk, c_pk, m.role.value, m.tokens, m.summarised, position)
                for pk, c_pk, (m, position) in zip(pks, of, placed, strict=True)
            ],
        )
    return pks


def insert_handoffs(conn: Connection, session_pk: int, handoffs: Sequence[Handoff]) -> None:
    if not handoffs:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO handoffs(id, session_pk, done, stopped_at, next_steps, open_questions,"
            " touched, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    h.id,
                    session_pk,
                    h.done,
                    h.stopped_at,
                    Jsonb(list(h.next_steps)),
                    Jsonb(list(h.open_questions)),
                    Jsonb(list(h.touched)),
                    h.created_at,
                )
                for h in handoffs
            ],
        )


def delete_session_rows(conn: Connection, session_id: str) -> bool:
    """The session with its messages (memories, whose keyword rows and vectors cascade), then
    everything that cascades from it; False if there is no such session. Messages point at
    their session without a cascade (a memory is never dropped by accident), so they go first,
    as in the SQLite engine's ``sessions.py``."""
    row = conn.execute("SELECT pk FROM sessions WHERE id = %s FOR UPDATE", (session_id,)).fetchone()
    if row is None:
        return False
    conn.execute("DELETE FROM memories WHERE session_pk = %s", (row[0],))
    conn.execute("DELETE FROM sessions WHERE pk = %s", (row[0],))
    return True


# --- reading ----------------------------------------------------------------------------------
def session_of(row: Sequence[Any]) -> Session:
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
        metadata=dict(row[9]),
    )


def message_of(row: Sequence[Any]) -> Message:
    return Message(row[0], row[1], row[2], Role(row[3]), row[4], row[5], row[6], bool(row[7]))


def handoff_of(row: Sequence[Any]) -> Handoff:
    return Handoff(
        row[0],
        row[1],
        row[2],
        row[3],
        tuple(row[4]),
        tuple(row[5]),
        tuple(row[6]),
        row[7],
    )


def fetch_session(conn: Connection, session_id: str) -> Session | None:
    row = conn.execute(
        f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.id = %s", (session_id,)
    ).fetchone()
    return None if row is None else session_of(row)


def conversations_of(conn: Connection, session_id: str) -> list[Conversation]:
    rows = conn.execute(
        "SELECT c.id, s.id, c.title, c.started_at, c.metadata FROM conversations c"
        " JOIN sessions s ON s.pk = c.session_pk WHERE s.id = %s ORDER BY c.started_at, c.pk",
        (session_id,),
    )
    return [Conversation(r[0], r[1], r[2], r[3], dict(r[4])) for r in rows]
