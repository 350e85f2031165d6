"""Reading entities back: counts, an entity's page, memories sharing entities; the same on
each engine (``EntityIndex``)."""

from __future__ import annotations

from memvault.core.entity_records import EntityCount, EntityKind, EntityMention
from memvault.core.file_records import FileKind
from memvault.core.records import MemoryFilter, MemoryPatch
from memvault.storage.roles import Store
from tests.storage.contract.helpers import chunk, file_record, insert

OWN = MemoryFilter(include_chunks=False)


def counted(found: list[EntityCount]) -> list[tuple[str, int]]:
    return [(c.entity.key, c.memories) for c in found]


def test_entities_are_counted_most_mentioned_first_by_kind_and_namespace(store: Store) -> None:
    insert(store, "Ana fixed parseConfig", "Ana and Bob Stone reviewed parse_config")
    insert(store, "Ana deployed src/app/config.py")
    insert(store, "Ana again, elsewhere", namespace="work")
    assert counted(store.entity_counts(OWN, limit=10)) == [
        ("ana", 4),
        ("parseconfig", 2),
        ("bobstone", 1),
        ("src/app/config.py", 1),
    ]
    assert counted(store.entity_counts(OWN, limit=2)) == [("ana", 4), ("parseconfig", 2)]
    names = store.entity_counts(OWN, kind=EntityKind.NAME, limit=10)
    assert counted(names) == [("ana", 4), ("bobstone", 1)]
    assert names[1].entity == EntityMention("bobstone", "Bob Stone", EntityKind.NAME)
    work = MemoryFilter(namespace="work", include_chunks=False)
    assert counted(store.entity_counts(work, limit=10)) == [("ana", 1)]


def test_a_deleted_or_superseded_memory_no_longer_counts(store: Store) -> None:
    gone, old, new = insert(store, "Ana wrote it", "Ana read it", "Ana kept it")
    store.delete_memory(gone)
    store.supersede(old, new, at="2026-01-02T00:00:00.000000Z")
    assert counted(store.entity_counts(OWN, limit=10)) == [("ana", 1)]


def test_an_entity_page_counts_dates_notes_and_co_occurring_entities(store: Store) -> None:
    insert(store, "Ana fixed parseConfig", created_at="2026-01-01T00:00:00.000000Z")
    insert(store, "Ana and Bob fixed parseConfig", created_at="2026-03-01T00:00:00.000000Z")
    insert(store, "Ana wrote src/app/config.py", created_at="2026-02-01T00:00:00.000000Z")
    insert(store, "parseConfig without her", created_at="2026-04-01T00:00:00.000000Z")
    note = file_record("notes/plan.md")
    other = file_record("notes/ideas.md")
    code = file_record("src/app.py", kind=FileKind.DOCUMENT, root="/repo")
    store.put_document(note, [chunk(note, "Ana owns the rewrite", 1)], embed=False)
    store.put_document(other, [chunk(other, "Bob owns nothing", 1)], embed=False)
    store.put_document(code, [chunk(code, "# Ana: parse here", 1)], embed=False)
    page = store.entity_summary("ana", OWN, notes=10, related=10)
    assert page is not None
    assert page.entity == EntityMention("ana", "Ana", EntityKind.NAME)
    assert page.memories == 3
    assert (page.first_seen, page.last_seen) == (
        "2026-01-01T00:00:00.000000Z",
        "2026-03-01T00:00:00.000000Z",
    )
    assert page.notes == ("notes/plan.md",)
    assert counted(list(page.co_occurring)) == [
        ("parseconfig", 2),
        ("bob", 1),
        ("src/app/config.py", 1),
    ]
    short = store.entity_summary("ana", OWN, notes=10, related=1)
    assert short is not None and counted(list(short.co_occurring)) == [("parseconfig", 2)]
    assert store.entity_summary("nobody", OWN, notes=10, related=10) is None


def test_an_entity_page_keeps_to_its_namespace(store: Store) -> None:
    insert(store, "Ana in default")
    insert(store, "Ana and Bob at work", namespace="work")
    work = MemoryFilter(namespace="work", include_chunks=False)
    page = store.entity_summary("ana", work, notes=10, related=10)
    assert page is not None and page.memories == 1
    assert counted(list(page.co_occurring)) == [("bob", 1)]
    elsewhere = store.entity_summary("ana", MemoryFilter(namespace="none"), notes=10, related=10)
    assert elsewhere is not None
    assert (elsewhere.memories, elsewhere.first_seen, elsewhere.notes) == (0, None, ())


def test_memories_sharing_entities_rank_by_how_many_they_share(store: Store) -> None:
    centre, two, one, none, newer_one = insert(
        store,
        "Ana fixed parseConfig in src/app/config.py",
        "Ana changed parse_config again",
        "src/app/config.py moved",
        "nothing shared here",
        "Ana went home",
    )
    found = store.sharing_entities(centre, OWN, limit=10)
    assert [(s.memory_id, s.shared) for s in found] == [(two, 2), (newer_one, 1), (one, 1)]
    assert [s.memory_id for s in store.sharing_entities(centre, OWN, limit=1)] == [two]
    store.update_memory(
        two, MemoryPatch(content="nobody changed anything"), "2026-01-02T00:00:00.000000Z"
    )
    assert [s.memory_id for s in store.sharing_entities(centre, OWN, limit=10)] == [
        newer_one,
        one,
    ]
    assert store.sharing_entities(none, OWN, limit=10) == []
    assert store.sharing_entities("0" * 8 + "-0000-7000-8000-" + "0" * 12, OWN, limit=10) == []
