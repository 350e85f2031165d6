"""The Markdown form of a session: ``sessions/<project>/<id>.md``.

A person reads a session file like a transcript: its front matter says who, which project,
which agent, when and how it stands (plus totals, for the reader); the body has every message in
order, each under a line naming who said it and when, and the handoffs where work stopped, as a
small YAML block. Each message and handoff is introduced by a marker line, an HTML comment that
Markdown viewers do not show, holding its id, conversation, role, time and token count. The
file is the truth the index is rebuilt from, so parsing reads back exactly what rendering wrote,
and a hand edit of a message's text or a handoff's fields is taken as the new value. A message
line that looks like a marker is escaped with a backslash, so no text can forge one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from memvault.content.markdown.frontmatter import (
    FrontMatterError,
    dump_mapping,
    load_mapping,
    parse,
    render,
)
from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.core.session_records import (
    Conversation,
    Handoff,
    Message,
    Role,
    Session,
    SessionRecord,
    SessionStatus,
)
from memvault.core.times import normal_timestamp

SESSION_FOLDER = "sessions"
NO_PROJECT = "_"  # the folder of sessions without a project
_MARKER = re.compile(r"<!-- memvault:(message|handoff) (\{.*\}) -->")
_ESCAPED = re.compile(r"\\*<!-- memvault:")
_UNSAFE_IN_FOLDER = re.compile(r"[^A-Za-z0-9_@\-]")


def session_path(session: Session) -> str:
    """Folder-relative path of a session's file; a project is always exactly one folder."""
    project = session.project or NO_PROJECT
    folder = _UNSAFE_IN_FOLDER.sub(lambda m: f"%{ord(m.group()):02X}", project)
    return f"{SESSION_FOLDER}/{folder}/{session.id}.md"


def is_session_path(path: str) -> bool:
    return path.startswith(f"{SESSION_FOLDER}/")


# --- rendering -------------------------------------------------------------------------------
def render_session(record: SessionRecord) -> str:
    s = record.session
    front: dict[str, Any] = {"id": s.id}
    for name in ("user", "project", "agent", "title"):
        if getattr(s, name) is not None:
            front[name] = getattr(s, name)
    front["status"] = s.status.value
    front["started_at"] = s.started_at
    front["last_active_at"] = s.last_active_at
    if s.ended_at is not None:
        front["ended_at"] = s.ended_at
    if s.metadata:
        front["metadata"] = s.metadata
    front["conversations"] = [_conversation_entry(c) for c in record.conversations]
    front["messages"] = len(record.messages)  # totals: for the reader, not read back
    front["tokens"] = sum(m.tokens for m in record.messages)
    heading = s.title or f"Session {s.started_at[:10]}"
    parts = [f"# {heading}\n"]
    parts += [_message_block(m) for m in record.messages]
    parts += [_handoff_block(h) for h in record.handoffs]
    return render(front, "\n".join(parts))


def _conversation_entry(conversation: Conversation) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": conversation.id, "started_at": conversation.started_at}
    if conversation.title is not None:
        entry["title"] = conversation.title
    if conversation.metadata:
        entry["metadata"] = conversation.metadata
    return entry


def _message_block(message: Message) -> str:
    meta: dict[str, Any] = {
        "id": message.id,
        "conversation": message.conversation_id,
        "role": message.role.value,
        "created_at": message.created_at,
        "tokens": message.tokens,
    }
    if message.summarised:
        meta["summarised"] = True
    text = "\n".join(
        f"\\{line}" if _ESCAPED.match(line) else line for line in message.content.split("\n")
    )
    when = message.created_at[:16].replace("T", " ")
    return f"{_marker('message', meta)}\n**{message.role.value}** · {when}\n\n{text}\n"


def _handoff_block(handoff: Handoff) -> str:
    meta = {"id": handoff.id, "created_at": handoff.created_at}
    fields: dict[str, Any] = {"done": handoff.done}
    if handoff.stopped_at is not None:
        fields["stopped_at"] = handoff.stopped_at
    fields["next_steps"] = list(handoff.next_steps)
    fields["open_questions"] = list(handoff.open_questions)
    fields["touched"] = list(handoff.touched)
    return f"{_marker('handoff', meta)}\n## Handoff\n\n```yaml\n{dump_mapping(fields)}```\n"


def _marker(kind: str, meta: dict[str, Any]) -> str:
    return f"<!-- memvault:{kind} {json.dumps(meta, ensure_ascii=False)} -->"


# --- parsing ---------------------------------------------------------------------------------
def parse_session(text: str, path: str) -> SessionRecord:
    """Read a session file; raises ``FrontMatterError`` naming the file and line."""
    document = parse(text, source=path)
    front = document.front_matter
    try:
        session = _session(front)
        conversations = tuple(_conversation(session.id, e) for e in _list(front, "conversations"))
    except FrontMatterError:
        raise
    except InvalidInputError as exc:
        raise FrontMatterError(str(exc), line=1, source=path) from exc
    known = {c.id for c in conversations}
    messages: list[Message] = []
    handoffs: list[Handoff] = []
    lines = document.body.split("\n")
    blocks = _blocks(lines, document.body_start_line, path)
    for kind, meta, body, line in blocks:
        try:
            if kind == "message":
                message = _message(session.id, meta, body)
                if message.conversation_id not in known:
                    raise InvalidInputError(
                        f"conversation {message.conversation_id} is not listed in the front matter"
                    )
                messages.append(message)
            else:
                handoffs.append(_handoff(session.id, meta, body, path, line))
        except FrontMatterError:
            raise
        except (InvalidInputError, KeyError, TypeError, ValueError) as exc:
            raise FrontMatterError(f"{kind}: {exc}", line=line, source=path) from exc
    return SessionRecord(session, conversations, tuple(messages), tuple(handoffs))


Block = tuple[str, dict[str, Any], list[str], int]


def _blocks(lines: list[str], first_line: int, path: str) -> list[Block]:
    """(kind, marker data, the lines after the marker, the marker's file line) in order."""
    found: list[Block] = []
    for number, line in enumerate(lines):
        match = _MARKER.fullmatch(line)
        if match is not None:
            try:
                meta = json.loads(match.group(2))
            except json.JSONDecodeError as exc:
                raise FrontMatterError(
                    f"unreadable {match.group(1)} marker ({exc.msg})",
                    line=first_line + number,
                    source=path,
                ) from exc
            found.append((match.group(1), meta, [], first_line + number))
        elif found:
            found[-1][2].append(line)
    return found


def _session(front: dict[str, Any]) -> Session:
    started = _time(front.get("started_at"), "started_at")
    try:
        status = SessionStatus(str(front.get("status", "active")))
    except ValueError as exc:
        raise InvalidInputError(f"status {front.get('status')!r} is unknown") from exc
    return Session(
        id=inputs.memory_id(str(front.get("id") or "")),
        user=_optional(front.get("user")),
        project=_optional(front.get("project")),
        agent=_optional(front.get("agent")),
        title=_optional(front.get("title")),
        status=status,
        started_at=started,
        last_active_at=_time(front.get("last_active_at", started), "last_active_at"),
        ended_at=None if front.get("ended_at") is None else _time(front["ended_at"], "ended_at"),
        metadata=inputs.metadata(front.get("metadata")),
    )


def _conversation(session_id: str, entry: Any) -> Conversation:
    if not isinstance(entry, dict):
        raise InvalidInputError("each conversation must be a mapping with an id")
    return Conversation(
        id=inputs.memory_id(str(entry.get("id") or "")),
        session_id=session_id,
        title=_optional(entry.get("title")),
        started_at=_time(entry.get("started_at"), "conversation started_at"),
        metadata=inputs.metadata(entry.get("metadata")),
    )


def _message(session_id: str, meta: dict[str, Any], body: list[str]) -> Message:
    # The line naming who said it and when is for the reader; the text starts after it.
    if body and body[0].startswith("**"):
        body = body[1:]
    text = "\n".join(_unescape(line) for line in body)
    tokens = meta.get("tokens", 0)
    if not isinstance(tokens, int) or tokens < 0:
        raise InvalidInputError("tokens must be a whole number of at least 0")
    return Message(
        id=inputs.memory_id(str(meta["id"])),
        session_id=session_id,
        conversation_id=inputs.memory_id(str(meta["conversation"])),
        role=Role(str(meta.get("role", "user"))),
        content=inputs.content(text),
        tokens=tokens,
        created_at=_time(meta.get("created_at"), "created_at"),
        summarised=bool(meta.get("summarised", False)),
    )


def _handoff(
    session_id: str, meta: dict[str, Any], body: list[str], path: str, line: int
) -> Handoff:
    fences = [i for i, text in enumerate(body) if text.startswith("```")]
    if len(fences) < 2:
        raise InvalidInputError("a handoff needs its fields in a ```yaml block")
    start, end = fences[0], fences[1]
    yaml_text = "\n".join(body[start + 1 : end])
    fields = load_mapping(yaml_text, source=path, first_line=line + start + 2)
    return Handoff(
        id=inputs.memory_id(str(meta["id"])),
        session_id=session_id,
        done=inputs.content(str(fields.get("done") or "")),
        stopped_at=_optional(fields.get("stopped_at")),
        next_steps=_strings(fields.get("next_steps"), "next_steps"),
        open_questions=_strings(fields.get("open_questions"), "open_questions"),
        touched=tuple(inputs.memory_id(i) for i in _strings(fields.get("touched"), "touched")),
        created_at=_time(meta.get("created_at"), "created_at"),
    )


# --- small readers ---------------------------------------------------------------------------
def _unescape(line: str) -> str:
    return line[1:] if line.startswith("\\") and _ESCAPED.match(line[1:]) else line


def _time(value: Any, field: str) -> str:
    if value is None or value == "":
        raise InvalidInputError(f"{field} is missing")
    return normal_timestamp(str(value))


def _optional(value: Any) -> str | None:
    if value is None:
        return None
    text = inputs.utf8_text(str(value), "field").strip()
    return text or None


def _list(front: dict[str, Any], field: str) -> list[Any]:
    value = front.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInputError(f"{field} must be a list")
    return value


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise InvalidInputError(f"{field} must be a list")
    return tuple(str(item).strip() for item in value if str(item).strip())
