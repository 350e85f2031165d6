"""The Markdown form of a memory: render and parse are exact inverses; hand edits are checked."""

from __future__ import annotations

import pytest

from memvault.content.markdown.frontmatter import FrontMatterError
from memvault.content.markdown.memory_file import (
    is_memory_path,
    memory_path,
    parse_memory,
    render_memory,
)
from memvault.core.records import Edge, Memory, MemoryRecord, ValidationEvent, Verdict

AT = "2026-01-02T03:04:05.000006Z"
LATER = "2026-02-03T04:05:06.000007Z"


def memory(**changes: object) -> Memory:
    fields: dict[str, object] = {
        "id": "01a00000-0000-7000-8000-000000000001",
        "content": "We deploy with `make release`\n\nand then: tag v2.3.1",
        "kind": "decision",
        "namespace": "team/ops",
        "tags": ("ops", "déploiement"),
        "importance": 0.8,
        "confidence": 0.65,
        "source": "standup 2026-01-02",
        "metadata": {"ticket": 42, "nested": {"a": [1, "yes", None]}},
        "content_hash": "",
        "created_at": AT,
        "updated_at": LATER,
        "accessed_at": None,
        "access_count": 0,
        "valid_from": AT,
        "valid_to": LATER,
        "superseded_by": "01a00000-0000-7000-8000-000000000002",
    }
    fields.update(changes)
    from memvault.core.ids import content_hash

    fields["content_hash"] = content_hash(str(fields["content"]))
    return Memory(**fields)  # type: ignore[arg-type]


def test_render_then_parse_gives_back_the_whole_record() -> None:
    record = MemoryRecord(
        memory(),
        relations=(
            Edge(memory().id, "01a00000-0000-7000-8000-000000000003", "relates_to", 0.5, {}, AT),
            Edge(memory().id, "01a00000-0000-7000-8000-000000000004", "derived_from", 1.0, {}, AT),
        ),
        validations=(
            ValidationEvent(
                "01a00000-0000-7000-8000-0000000000aa",
                memory().id,
                Verdict.CONFIRM,
                "alice",
                "checked the runbook",
                0.5,
                0.65,
                LATER,
            ),
        ),
    )
    text = render_memory(record)
    assert parse_memory(text, memory_path(memory().id, "team/ops")) == record


def test_defaults_are_left_out_of_the_file_and_read_back() -> None:
    plain = memory(
        tags=(),
        source=None,
        metadata={},
        valid_to=None,
        superseded_by=None,
        updated_at=AT,
        kind="fact",
        namespace="default",
    )
    text = render_memory(MemoryRecord(plain))
    for absent in ("tags", "source", "metadata", "valid_to", "superseded_by", "relations"):
        assert f"\n{absent}:" not in text
    assert parse_memory(text, "memories/default/x.md") == MemoryRecord(plain)


def test_a_namespace_is_always_exactly_one_folder() -> None:
    path = memory_path("01a00000-0000-7000-8000-000000000001", "../../etc")
    assert path.count("/") == 2 and ".." not in path
    assert is_memory_path(path)
    assert memory_path("x", "default") == "memories/default/x.md"


def test_a_hand_edit_that_breaks_a_rule_names_the_file_and_line() -> None:
    text = render_memory(MemoryRecord(memory())).replace("importance: 0.8", "importance: 7")
    with pytest.raises(FrontMatterError) as caught:
        parse_memory(text, "memories/team%2Fops/x.md")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("importance"))
    assert caught.value.line == line
    assert "memories/team%2Fops/x.md" in str(caught.value) and "importance" in str(caught.value)


def test_broken_yaml_is_reported_at_its_line() -> None:
    text = "---\nid: 01a00000-0000-7000-8000-000000000001\nkind: [fact\ncreated_at: x\n---\nhi\n"
    with pytest.raises(FrontMatterError) as caught:
        parse_memory(text, "memories/default/x.md")
    assert caught.value.line in (3, 4)


def test_an_empty_body_is_refused_like_empty_content() -> None:
    text = render_memory(MemoryRecord(memory())).split("---\n")
    broken = "---\n" + text[1] + "---\n\n"
    with pytest.raises(FrontMatterError, match="empty"):
        parse_memory(broken, "memories/default/x.md")


def test_a_file_without_id_takes_it_from_its_name() -> None:
    text = f"---\ncreated_at: '{AT}'\n---\nJust a fact.\n"
    record = parse_memory(text, "memories/default/01a00000-0000-7000-8000-0000000000ff.md")
    assert record.memory.id == "01a00000-0000-7000-8000-0000000000ff"
    assert record.memory.kind == "fact" and record.memory.content == "Just a fact."


def test_a_hand_made_file_with_any_name_gets_a_stable_id() -> None:
    text = f"---\ncreated_at: '{AT}'\n---\nMade by hand.\n"
    first = parse_memory(text, "memories/default/my-fact.md").memory.id
    assert first == parse_memory(text, "memories/default/my-fact.md").memory.id
    assert first != parse_memory(text, "memories/default/other.md").memory.id
    assert len(first) == 36
