from __future__ import annotations

from pathlib import Path

import pytest

from memvault.core.errors import InvalidInputError
from memvault.importers.mapping import TableMapping, column_ref, load_mapping, table_name


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


def fails(**kwargs: object) -> str:
    """The one-line message of the InvalidInputError that load_mapping raises."""
    with pytest.raises(InvalidInputError) as caught:
        load_mapping(**kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message
    return message


FULL = """
[table]
name = "notes"
id = "note_id"
content = "body"

[fields]
kind = "kind"
namespace = "project"
tags = "labels"
created_at = "created"
updated_at = "changed"
importance = "priority"
confidence = "sure"
vector = "embedding"
metadata = ["title", "author"]
metadata_json = "extra"

[defaults]
kind = "Decision"
namespace = "imported"
"""


def test_a_file_names_every_field(tmp_path: Path) -> None:
    mapping = load_mapping(mapping_file=write(tmp_path, FULL))
    assert mapping == TableMapping(
        table="notes",
        id="note_id",
        content="body",
        kind="kind",
        namespace="project",
        tags="labels",
        created_at="created",
        updated_at="changed",
        importance="priority",
        confidence="sure",
        vector="embedding",
        metadata=("title", "author"),
        metadata_json="extra",
        default_kind="decision",  # kinds are lowercase words, as the vault keeps them
        default_namespace="imported",
    )
    assert mapping.columns()[:3] == ("note_id", "body", "kind")
    assert set(mapping.columns()) >= {"title", "author", "extra", "embedding"}


def test_flags_override_the_file_field_by_field(tmp_path: Path) -> None:
    mapping = load_mapping(
        mapping_file=write(tmp_path, FULL),
        table="archive.notes",
        content="text",
        fields=["tags=", "kind=type", "metadata=a,b", "metadata=c", "default_namespace=ops"],
    )
    assert mapping.table == "archive.notes"
    assert mapping.id == "note_id"  # from the file
    assert mapping.content == "text"  # the flag wins
    assert mapping.tags is None  # an empty value drops what the file set
    assert mapping.kind == "type"
    assert mapping.metadata == ("a", "b", "c")  # the first flag replaces, the next ones add
    assert mapping.default_namespace == "ops"
    assert mapping.namespace == "project"


def test_flags_alone_make_a_mapping() -> None:
    mapping = load_mapping(
        table="memories",
        id="id",
        content="text",
        fields=["vector=payload.embedding", "namespace = payload.user_id"],
    )
    assert mapping.vector == "payload.embedding"
    assert mapping.namespace == "payload.user_id"
    assert mapping.columns() == ("id", "text", "payload")
    assert column_ref(mapping.namespace, "namespace") == ("payload", ("user_id",))


def test_presets() -> None:
    mem0 = load_mapping(preset="mem0")
    assert (mem0.table, mem0.id, mem0.content, mem0.vector) == (
        "mem0",
        "id",
        "payload.data",
        "vector",
    )
    assert mem0.namespace == "payload.user_id"
    assert mem0.created_at == "payload.created_at"
    assert mem0.metadata_json == "payload"

    letta = load_mapping(preset="letta-archival")
    assert (letta.table, letta.content, letta.vector, letta.metadata_json) == (
        "archival_passages",
        "text",
        "embedding",
        "metadata_",
    )

    notes = load_mapping(preset="seed-notes", table="my_notes")
    assert notes.table == "my_notes"  # a flag overrides the preset
    assert (notes.content, notes.tags, notes.metadata) == ("content", "tags", ("title",))
    assert notes.default_kind == "note"


def test_a_file_can_start_from_a_preset(tmp_path: Path) -> None:
    path = write(tmp_path, 'preset = "mem0"\n[table]\nname = "memories"\n')
    mapping = load_mapping(mapping_file=path)
    assert (mapping.table, mapping.content) == ("memories", "payload.data")
    # ... and the --preset flag replaces the file's preset
    other = load_mapping(mapping_file=path, preset="seed-notes")
    assert (other.table, other.content) == ("memories", "content")


def test_unknown_field_in_a_flag() -> None:
    message = fails(table="t", id="id", content="c", fields=["colour=paint"])
    assert "unknown field 'colour'" in message
    assert "namespace" in message  # the known fields are listed


def test_a_flag_without_equals() -> None:
    assert "use FIELD=COLUMN" in fails(table="t", id="id", content="c", fields=["tags"])


def test_missing_table_id_or_content() -> None:
    assert "no table" in fails(id="id", content="c")
    assert "no id" in fails(table="t", content="c")
    assert "no content" in fails(table="t", id="id")
    assert "--content" in fails(table="t", id="id", fields=["content="])


def test_unknown_preset() -> None:
    message = fails(preset="pinecone")
    assert "unknown preset 'pinecone'" in message
    assert "letta-archival, mem0, seed-notes" in message


def test_malformed_toml_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[table]\nname = "notes"\nid = \n')
    message = fails(mapping_file=path)
    assert str(path) in message
    assert "not valid TOML" in message
    assert "line 3" in message


def test_bad_file_entries(tmp_path: Path) -> None:
    assert "unknown field [fields] colour" in fails(
        mapping_file=write(tmp_path, '[fields]\ncolour = "x"\n')
    )
    assert "unknown entry 'tables'" in fails(mapping_file=write(tmp_path, '[tables]\nname = "x"\n'))
    assert "must be a string" in fails(mapping_file=write(tmp_path, "[table]\nname = 3\n"))
    assert "list of column names" in fails(
        mapping_file=write(
            tmp_path, '[table]\nname="t"\nid="i"\ncontent="c"\n[fields]\nmetadata = 1\n'
        )
    )
    assert "not found" in fails(mapping_file=tmp_path / "missing.toml")


@pytest.mark.parametrize(
    "bad",
    ["notes; DROP TABLE users", 'no"tes', "no`tes", "a.b.c", "1notes", "", "x" * 64, "t--"],
)
def test_table_names_are_identifiers(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        table_name(bad)
    with pytest.raises(InvalidInputError):
        TableMapping(table=bad, id="id", content="content")


@pytest.mark.parametrize("bad", ["id) OR 1=1 --", "con tent", 'c"', "c`", "c.", "c.'k'", ""])
def test_column_names_are_identifiers(bad: str) -> None:
    message = fails(table="t", id="id", content=bad)
    assert "content" in message


def test_identifiers_that_are_fine() -> None:
    assert table_name("public.Notes") == ("public", "Notes")
    assert column_ref("order", "content") == ("order", ())  # reserved words are quoted later
    assert column_ref("payload.user-id.x", "tags") == ("payload", ("user-id", "x"))
    assert column_ref("col$1_é", "tags") == ("col$1_é", ())


def test_plain_columns_only_where_paths_make_no_sense() -> None:
    assert "must be a column" in fails(table="t", id="payload.id", content="c")
    assert "must be a column" in fails(table="t", id="id", content="c", fields=["metadata=a.b"])
    assert "must be a column" in fails(
        table="t", id="id", content="c", fields=["metadata_json=a.b"]
    )


def test_defaults_follow_the_vault_rules() -> None:
    assert "kind" in fails(table="t", id="id", content="c", fields=["default_kind=two words"])
    assert "namespace" in fails(table="t", id="id", content="c", fields=["default_namespace=-bad"])
