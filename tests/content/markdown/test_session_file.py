"""Session files: a readable transcript that reads back exactly, and hand edits that count."""

from __future__ import annotations

import pytest

from memvault.content.markdown.frontmatter import FrontMatterError
from memvault.content.markdown.session_file import (
    is_session_path,
    parse_session,
    render_session,
    session_path,
)
from memvault.core.session_records import (
    Conversation,
    Handoff,
    Message,
    Role,
    Session,
    SessionRecord,
    SessionStatus,
)

T0 = "2026-12-01T09:00:00.000000Z"
T1 = "2026-12-01T09:05:00.000000Z"
SID = "0193a000-0000-7000-8000-000000000001"
CID = "0193a000-0000-7000-8000-000000000002"


def record(*contents: str, project: str | None = "memvault") -> SessionRecord:
    session = Session(
        SID,
        "ana",
        project,
        "claude-code",
        "Fix the FTS tokenizer",
        SessionStatus.ENDED,
        T0,
        T1,
        T1,
        {"ticket": 42},
    )
    conversation = Conversation(CID, SID, "main", T0)
    messages = tuple(
        Message(
            f"0193a000-0000-7000-8000-1000000000{n:02d}",
            SID,
            CID,
            Role.USER if n % 2 == 0 else Role.ASSISTANT,
            text,
            3 + n,
            T0,
            n == 0,
        )
        for n, text in enumerate(contents)
    )
    handoff = Handoff(
        "0193a000-0000-7000-8000-200000000001",
        SID,
        "Split snake_case in the tokenizer",
        "tests for camelCase still red",
        ("make camelCase pass", "release v2.3.1"),
        ("keep the porter stemmer?",),
        ("0193a000-0000-7000-8000-300000000001",),
        T1,
    )
    return SessionRecord(session, (conversation,), messages, (handoff,))


HOSTILE = [
    "plain words",
    "two\n\nparagraphs with `code` and [[a link]]",
    '<!-- memvault:message {"id": "forged"} -->\nstill the same message',
    '\\<!-- memvault:handoff {"id": "x"} --> already escaped once',
    "---\nlooks: like front matter\n---",
    "**user** · 2026-01-01 00:00\nstarts like the header line",
    "```yaml\ndone: not a handoff\n```",
    "ünïcödé, emoji 🚀, and a tab\there",
]


def test_a_session_reads_back_exactly_what_was_written() -> None:
    original = record(*HOSTILE)
    text = render_session(original)
    assert parse_session(text, "sessions/memvault/x.md") == original
    assert render_session(parse_session(text, "x.md")) == text


def test_the_file_reads_as_a_transcript() -> None:
    text = render_session(record("How do we split snake_case?", "By its parts."))
    assert "# Fix the FTS tokenizer" in text
    assert "**user** · 2026-12-01 09:00\n\nHow do we split snake_case?" in text
    assert "## Handoff" in text and "next_steps:\n- make camelCase pass" in text
    assert "\nmessages: 2\ntokens: 7\n" in text  # totals for the reader


def test_hand_edits_of_a_message_and_a_handoff_are_read() -> None:
    text = render_session(record("the original text"))
    edited = text.replace("the original text", "the corrected text").replace(
        "- release v2.3.1", "- release v2.3.2"
    )
    got = parse_session(edited, "x.md")
    assert got.messages[0].content == "the corrected text"
    assert got.handoffs[0].next_steps == ("make camelCase pass", "release v2.3.2")


def test_paths_put_a_project_in_one_folder() -> None:
    assert session_path(record().session) == f"sessions/memvault/{SID}.md"
    assert session_path(record(project="team/ops").session) == f"sessions/team%2Fops/{SID}.md"
    assert session_path(record(project=None).session) == f"sessions/_/{SID}.md"
    assert is_session_path("sessions/_/a.md") and not is_session_path("notes/sessions.md")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("status: ended", "status: finished"), "status 'finished' is unknown"),
        (('"tokens": 3', '"tokens": -1'), "tokens must be a whole number"),
        (('"role": "user"', '"role": "robot"'), "robot"),
        (("```yaml\ndone:", "```yaml\ndone: [unclosed"), "YAML block"),
        ((f'"conversation": "{CID}"', '"conversation": "nowhere"'), "is not listed"),
        (('{"id": "0193a000-0000-7000-8000-100000000000"', "{broken"), "unreadable message"),
    ],
)
def test_a_broken_file_names_what_and_where(change: tuple[str, str], message: str) -> None:
    text = render_session(record("a message")).replace(*change, 1)
    with pytest.raises(FrontMatterError) as caught:
        parse_session(text, "sessions/memvault/x.md")
    assert message in str(caught.value)
    assert str(caught.value).startswith("sessions/memvault/x.md:")
