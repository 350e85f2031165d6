"""Entities on every write, read back with the memory, and found by key: the same on each engine.

Extraction runs inside the write (``storage/entity_links.py``): a new memory, a changed text or
tag list, a chunk of a note or of an indexed file, a message. A memory that comes with its own
entities (a memory file's list, an export's) keeps exactly those.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from memvault.content.entities import entity_key
from memvault.core.entity_records import EntityKind, EntityMention
from memvault.core.file_records import FOLDER_ROOT, FileKind, FileState
from memvault.core.records import MemoryFilter, MemoryPatch, MessageScope
from memvault.core.terms import parse_query
from memvault.storage.roles import Store
from tests.storage.contract.helpers import chunk, file_record, insert, memory
from tests.storage.contract.session_helpers import say, start

T0 = "2026-01-01T00:00:00.000000Z"


def keys(store: Store, memory_id: str) -> list[str]:
    found = store.get_memory(memory_id)
    assert found is not None and found.entities is not None
    return [e.key for e in found.entities]


def with_entity(store: Store, name: str, **where: object) -> set[str]:
    chosen = MemoryFilter(entities=(entity_key(name),), **where)  # type: ignore[arg-type]
    return {m.id for m in store.list_memories(chosen, limit=1000)}


def test_spellings_of_one_identifier_meet_in_one_entity(store: Store) -> None:
    camel, snake, other = insert(
        store,
        "parseConfig reads the TOML file",
        "the bug was in parse_config when the file is empty",
        "loadConfig is unrelated",
    )
    assert with_entity(store, "parse_config") == {camel, snake}
    assert with_entity(store, "parseConfig") == {camel, snake}
    assert with_entity(store, "parse-config") == {camel, snake}
    assert with_entity(store, "loadConfig") == {other}
    assert with_entity(store, "nothingLikeThis") == set()
    first = store.get_entity("parseconfig")
    assert first == EntityMention("parseconfig", "parseConfig", EntityKind.IDENTIFIER)


def test_a_memory_reads_back_its_entities_grouped_by_kind(store: Store) -> None:
    [memory_id] = insert(
        store,
        "Ana Lopez fixed parseConfig in src/app/config.py for #123, see @bob",
        tags=["deploy"],
    )
    found = store.get_memory(memory_id)
    assert found is not None and found.entities is not None
    assert [(e.kind, e.name) for e in found.entities] == [
        (EntityKind.MENTION, "bob"),
        (EntityKind.TAG, "deploy"),
        (EntityKind.IDENTIFIER, "parseConfig"),
        (EntityKind.PATH, "src/app/config.py"),
        (EntityKind.ISSUE, "#123"),
        (EntityKind.NAME, "Ana Lopez"),
    ]
    listed = store.list_memories(MemoryFilter(), limit=5)
    assert listed[0].entities == found.entities
    assert store.memories_by_id([memory_id])[memory_id].entities == found.entities


def test_a_mention_and_a_name_of_one_person_meet(store: Store) -> None:
    mention, name = insert(store, "asked @Ana about the release", "Ana prefers small commits")
    assert with_entity(store, "@ana") == {mention, name}
    assert with_entity(store, "Ana") == {mention, name}


def test_entities_given_with_a_memory_are_kept_as_they_are(store: Store) -> None:
    chosen = (
        EntityMention("bob", "Bob", EntityKind.NAME),
        EntityMention("x", "x", EntityKind.TAG),
    )
    given = memory("Ana wrote parseConfig", entities=chosen)
    none = memory("Carla wrote loadConfig", entities=())
    store.insert_memories([given, none])
    assert keys(store, given.id) == ["x", "bob"]  # tags before names, whatever order given
    assert keys(store, none.id) == []
    assert with_entity(store, "Ana") == set()


def test_a_change_of_text_or_tags_extracts_again_and_a_patch_of_entities_is_kept(
    store: Store,
) -> None:
    [memory_id] = insert(store, "parseConfig is slow")
    store.update_memory(memory_id, MemoryPatch(content="loadConfig is slow"), T0)
    assert keys(store, memory_id) == ["loadconfig"]
    assert with_entity(store, "parseConfig") == set()
    store.update_memory(memory_id, MemoryPatch(tags=("perf",)), T0)
    assert keys(store, memory_id) == ["perf", "loadconfig"]
    store.update_memory(memory_id, MemoryPatch(importance=0.9), T0)
    assert keys(store, memory_id) == ["perf", "loadconfig"]  # nothing it mentions changed
    mine = (EntityMention("carla", "Carla", EntityKind.NAME),)
    updated = store.update_memory(memory_id, MemoryPatch(entities=mine), T0)
    assert updated.entities == mine


def test_the_vault_setting_chooses_the_extractors(store: Store) -> None:
    store.use_entity_kinds(frozenset({EntityKind.PATH}))
    [some] = insert(store, "Ana changed src/app/config.py and parseConfig", tags=["t"])
    assert keys(store, some) == ["src/app/config.py"]
    store.use_entity_kinds(frozenset())
    [none] = insert(store, "Ana changed src/app/other.py and loadConfig", tags=["t"])
    assert keys(store, none) == []


def test_chunks_of_notes_and_indexed_files_get_entities(store: Store) -> None:
    note = file_record("notes/plan.md", tags=["roadmap"])
    document = file_record("src/app.py", kind=FileKind.DOCUMENT, root="/repo")
    in_note = chunk(note, "Ana owns the parse_config rewrite", 1)
    in_code = chunk(document, "def parseConfig(path): ...", 1)
    store.put_document(note, [in_note], embed=False)
    store.put_document(document, [in_code], embed=False)
    assert with_entity(store, "parseConfig") == {in_note.id, in_code.id}
    assert keys(store, in_note.id) == ["roadmap", "parseconfig", "ana"]
    retagged = replace(note, tags=("later",))
    store.put_document(retagged, [replace(in_note, tags=("later",))], embed=False)
    assert keys(store, in_note.id) == ["later", "parseconfig", "ana"]
    assert with_entity(store, "Ana", include_chunks=False) == set()


def test_a_memory_file_entity_list_is_the_truth_and_without_one_they_are_extracted(
    store: Store,
) -> None:
    listed = memory("Ana wrote parseConfig", created_at=T0)
    listed = replace(listed, entities=(EntityMention("bob", "Bob", EntityKind.NAME),))
    bare = memory("Carla wrote loadConfig", created_at=T0)
    states = [
        (m, FileState(FOLDER_ROOT, f"memories/default/{m.id}.md", FileKind.MEMORY, m.id, "a", 1, 1))
        for m in (listed, bare)
    ]
    assert store.put_memory_files(states, embed=False) == {}
    assert keys(store, listed.id) == ["bob"]
    assert keys(store, bare.id) == ["loadconfig", "carla"]
    removed = replace(listed, entities=())
    assert store.put_memory_files([(removed, states[0][1])], embed=False) == {}
    assert keys(store, listed.id) == []


def test_messages_get_entities_and_a_deleted_memory_leaves_the_filter(store: Store) -> None:
    _, talk = start(store)
    [said] = say(store, talk, "let us ask @carla about v2.3.1")
    chosen = MemoryFilter(entities=(entity_key("v2.3.1"),), messages=MessageScope.INCLUDE)
    assert {m.id for m in store.list_memories(chosen, limit=10)} == {said.id}
    [memory_id] = insert(store, "Carla knows parseConfig")
    assert with_entity(store, "@carla") == {memory_id}
    assert store.delete_memory(memory_id)
    assert with_entity(store, "@carla") == set()


def test_keyword_search_keeps_to_an_entity(store: Store) -> None:
    camel, _, snake = insert(
        store, "parseConfig fails on empty files", "empty files fail", "parse_config empty files"
    )
    where = MemoryFilter(entities=("parseconfig",))
    hits = store.keyword_search(parse_query("empty files"), where, limit=10)
    assert {memory_id for memory_id, _ in hits} == {camel, snake}


def test_every_entity_a_memory_must_mention(store: Store) -> None:
    both, one = insert(store, "Ana and Bob met", "Ana alone")
    assert with_entity(store, "Ana") == {both, one}
    chosen = MemoryFilter(entities=("ana", "bob"))
    assert {m.id for m in store.list_memories(chosen, limit=10)} == {both}


def test_two_instances_adding_the_same_new_entities_at_once_link_every_memory(
    store: Store, second_store: Store
) -> None:
    """Writers of two processes naming the same new entities in the same moment: every memory
    is linked, and each key is one entity."""

    def write(target: Store, side: str) -> list[str]:
        written = []
        for n in range(20):
            texts = [f"{side} {n}.{i}: Quinn asked about frobnicateWidget{n}" for i in range(5)]
            written += [o.id for o in target.insert_memories([memory(t) for t in texts])]
        return written

    with ThreadPoolExecutor(2) as pool:
        sides = [pool.submit(write, store, "a"), pool.submit(write, second_store, "b")]
        ids = [memory_id for side in sides for memory_id in side.result()]
    assert len(ids) == 200
    assert with_entity(store, "Quinn") == set(ids)
    for n in range(20):
        assert len(with_entity(store, f"frobnicate_widget{n}")) == 10
