"""SearchIndex: keyword search by code-aware words, vector search by nearness; both filtered."""

from __future__ import annotations

import pytest

from memvault.core.records import MemoryFilter
from memvault.core.terms import QueryTerm, parse_query
from memvault.core.vector_records import VectorStorage
from memvault.storage.roles import Store
from tests.storage.contract.helpers import (
    DIMS,
    EVERYTHING,
    STORAGES,
    Patterns,
    chunk,
    embed_pending,
    file_record,
    insert,
    memory,
    unit,
)

T0 = "2026-01-01T00:00:00.000000Z"
T1 = "2026-02-01T00:00:00.000000Z"
T2 = "2026-03-01T00:00:00.000000Z"

HOSTILE = [
    "",
    "   ",
    '"',
    "'",
    "*",
    "(((",
    ")",
    "\\",
    "+",
    "^deploy",
    "deploy*",
    "-deploy",
    "NOT deploy",
    "AND",
    "OR NOT",
    "a AND b OR c",
    "NEAR(deploy",
    'NEAR("deploy" "release", 2)',
    '"unbalanced deploy',
    'deploy" OR "x',
    "content:deploy",
    "{content aliases}: deploy",
    "col : val",
    "\x00",
    "🙂 🚀",
    "İstanbul straße",
    "x" * 5_000,
    " ".join(f"word{n}" for n in range(300)),
]


def keyword(
    store: Store, text: str, where: MemoryFilter = EVERYTHING, limit: int = 50
) -> list[str]:
    return [
        memory_id for memory_id, _ in store.keyword_search(parse_query(text), where, limit=limit)
    ]


# --- keyword search ---------------------------------------------------------------------------
def test_code_words_are_found_in_every_spelling(store: Store) -> None:
    snake, camel, version, other = insert(
        store,
        "parse_config reads src/app/parse_config.py",
        "the parseConfig helper in the settings screen",
        "Deploy with make release since v2.3.1",
        "nothing to see here",
    )
    for query in ("parseConfig", "parse_config", "parse-config", "ParseConfig"):
        assert set(keyword(store, query)) == {snake, camel}, query
    assert keyword(store, "src/app/parse_config.py")[0] == snake
    assert keyword(store, "2.3.1") == [version]
    assert keyword(store, "v2.3.1") == [version]
    assert keyword(store, "deploying")[0] == version  # the words are stemmed
    assert other not in keyword(store, "parse config release")


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_any_string_is_a_query_and_never_an_error(store: Store, text: str) -> None:
    ids = set(insert(store, "deploy with make release", "a AND b OR c are letters"))
    hits = store.keyword_search(parse_query(text), EVERYTHING, limit=10)
    assert {memory_id for memory_id, _ in hits} <= ids


def test_operators_are_only_words(store: Store) -> None:
    (deploy,) = insert(store, "deploy with make release")
    for text in ('deploy" OR *', "-deploy", "NOT deploy", "NEAR(deploy", "deploy*", "^deploy"):
        assert keyword(store, text) == [deploy], text
    assert keyword(store, "") == [] and store.keyword_search((), EVERYTHING, limit=10) == []


def test_the_words_of_terms_are_literal_even_when_built_by_hand(store: Store) -> None:
    # parse_query already reduces text to words; an engine must not rely on that alone.
    (salt,) = insert(store, "salt and pepper")
    for word in ("AND", "and"):
        terms = [QueryTerm(((word,),))]
        assert [i for i, _ in store.keyword_search(terms, EVERYTHING, limit=5)] == [salt]
    for word in ('"', "NEAR(", "*", "(", ")", "col:salt", "OR", "NOT", "-", "^", "{a b}"):
        store.keyword_search([QueryTerm(((word,), (word, "salt")))], EVERYTHING, limit=5)


def test_best_matches_first_within_the_limit(store: Store) -> None:
    strong, weak, _ = insert(
        store,
        "redis redis redis cache",
        "a long note that mentions redis once among many other words of text",
        "postgres only",
    )
    hits = store.keyword_search(parse_query("redis"), EVERYTHING, limit=10)
    assert [memory_id for memory_id, _ in hits] == [strong, weak]
    assert hits[0][1] > hits[1][1] > 0
    assert keyword(store, "redis", limit=1) == [strong]
    assert store.keyword_search(parse_query("redis"), EVERYTHING, limit=0) == []


def test_equal_scores_are_ordered_by_id_whatever_the_limit(store: Store) -> None:
    # Same length, same one matching word: every hit scores the same. Inserted in descending id
    # order, so an engine that cut its candidates by insertion order would show it.
    ids = [f"tie-{n:03d}" for n in range(100)]
    store.insert_memories(
        [memory(f"shared word{n:03d}", memory_id=ids[n]) for n in reversed(range(100))]
    )
    store.insert_memories([memory(f"unrelated filler {n}") for n in range(200)])
    everything = store.keyword_search(parse_query("shared"), EVERYTHING, limit=200)
    assert len({score for _, score in everything}) == 1
    assert [memory_id for memory_id, _ in everything] == ids
    for limit in (1, 5, 20):
        assert keyword(store, "shared", limit=limit) == ids[:limit], limit


def test_keyword_filters(store: Store) -> None:
    a = insert(store, "alpha one", namespace="ns", kind="fact", tags=["x"], created_at=T0)[0]
    b = insert(store, "alpha two", namespace="ns", kind="lesson", tags=["x", "y"], created_at=T1)[0]
    c = insert(store, "alpha three", namespace="other", created_at=T2)[0]
    old, new = insert(store, "alpha old", "alpha new")
    store.supersede(old, new, T2)
    note = file_record("n.md")
    piece = chunk(note, "alpha in a note", 1)
    store.put_document(note, [piece], embed=False)

    def found(**where: object) -> set[str]:
        return set(keyword(store, "alpha", MemoryFilter(**where)))  # type: ignore[arg-type]

    assert found() == {a, b, c, new, piece.id}
    assert found(include_superseded=True) == {a, b, c, old, new, piece.id}
    assert found(namespace="ns") == {a, b}
    assert found(kinds=("lesson",)) == {b}
    assert found(tags=("x", "y")) == {b}
    assert found(created_after=T1, namespace="ns") == {b}
    assert found(created_before=T1) == {a, piece.id}  # the note's time is T0 too
    assert found(include_chunks=False) == {a, b, c, new}


def test_a_selective_keyword_filter_still_finds_every_match(store: Store) -> None:
    # Hundreds of better matches outside the filter must not crowd out the few inside it.
    insert(store, *(f"alpha alpha alpha crowd {n}" for n in range(300)), namespace="crowd")
    rare = insert(
        store,
        *(f"alpha in a much longer rare text number {n} with other words" for n in range(3)),
        namespace="rare",
    )
    assert set(keyword(store, "alpha", MemoryFilter(namespace="rare"), limit=3)) == set(rare)
    assert not set(keyword(store, "alpha", limit=10)) & set(rare)


# --- vector search ----------------------------------------------------------------------------
def test_no_vector_search_before_the_first_vector(store: Store) -> None:
    query = unit(1.0)
    assert store.vector_search(query, EVERYTHING, limit=10) == []
    insert(store, "no vector yet", embed=True)
    assert store.vector_config() is None
    assert store.vector_search(query, EVERYTHING, limit=10) == []


@pytest.mark.parametrize("storage", STORAGES)
def test_vector_search_returns_the_nearest_first(store: Store, storage: VectorStorage) -> None:
    patterns = Patterns()
    flips = [90, 3, 40, 150, 12, 70]
    ids = {n: insert(store, f"flipped {n}", embed=True)[0] for n in flips}
    embed_pending(store, {ids[n]: patterns.flipped(n) for n in flips}, storage=storage)
    hits = store.vector_search(patterns.query(), EVERYTHING, limit=4)
    assert [memory_id for memory_id, _ in hits] == [ids[n] for n in (3, 12, 40, 70)]
    for (_, score), n in zip(hits, (3, 12, 40, 70), strict=True):
        assert score == pytest.approx(1 - 2 * n / DIMS, abs=0.02)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert len(store.vector_search(patterns.query(), EVERYTHING, limit=100)) == 6
    assert store.vector_search(patterns.query(), EVERYTHING, limit=0) == []


@pytest.mark.parametrize("storage", STORAGES)
def test_a_selective_vector_filter_never_misses(store: Store, storage: VectorStorage) -> None:
    # 600 memories in "default" are all nearer the query than any of the 5 in "rare": an engine
    # that filtered only its approximate candidates would find no rare memory at all.
    patterns = Patterns()
    crowd = insert(store, *(f"crowd {n}" for n in range(600)), tags=["crowd"], embed=True)
    rare_flips = [160, 100, 190, 130, 220]
    rare = {
        n: insert(store, f"rare {n}", namespace="rare", tags=["needle"], embed=True)[0]
        for n in rare_flips
    }
    vectors = {memory_id: patterns.flipped(1 + i % 60) for i, memory_id in enumerate(crowd)}
    vectors.update({rare[n]: patterns.flipped(n) for n in rare_flips})
    embed_pending(store, vectors, storage=storage)
    query = patterns.query()

    unfiltered = store.vector_search(query, EVERYTHING, limit=50)
    assert not {memory_id for memory_id, _ in unfiltered} & set(rare.values())
    hits = store.vector_search(query, MemoryFilter(namespace="rare"), limit=3)
    assert [memory_id for memory_id, _ in hits] == [rare[100], rare[130], rare[160]]
    assert hits[0][1] == pytest.approx(1 - 2 * 100 / DIMS, abs=0.02)
    by_tag = store.vector_search(query, MemoryFilter(tags=("needle",)), limit=10)
    assert [memory_id for memory_id, _ in by_tag] == [rare[n] for n in sorted(rare_flips)]
    in_crowd = store.vector_search(query, MemoryFilter(tags=("crowd",)), limit=5)
    assert len(in_crowd) == 5 and {memory_id for memory_id, _ in in_crowd} <= set(crowd)


def test_vector_filters(store: Store) -> None:
    a = insert(store, "a", namespace="ns", kind="fact", tags=["x"], created_at=T0, embed=True)[0]
    b = insert(store, "b", namespace="ns", kind="lesson", created_at=T1, embed=True)[0]
    old, new = insert(store, "old", "new", created_at=T2, embed=True)
    store.supersede(old, new, T2)
    embed_pending(store, {a: unit(1.0), b: unit(0.9, 0.1), old: unit(0.8, 0.2), new: unit(0.0, 1)})
    query = unit(1.0)

    def found(**where: object) -> list[str]:
        hits = store.vector_search(query, MemoryFilter(**where), limit=10)  # type: ignore[arg-type]
        return [memory_id for memory_id, _ in hits]

    assert found() == [a, b, new]
    assert found(include_superseded=True) == [a, b, old, new]
    assert found(namespace="ns") == [a, b]
    assert found(kinds=("lesson",)) == [b]
    assert found(tags=("x",)) == [a]
    assert found(created_after=T1) == [b, new]
    assert found(created_before=T1, include_superseded=True) == [a]
    store.delete_memory(a)
    assert found() == [b, new]


# --- matched terms (the keyword evidence of a hit's relevance) --------------------------------


def test_matched_terms_counts_the_query_words_each_memory_holds(store: Store) -> None:
    both, one, none = insert(
        store,
        "The deploy scripts run nightly",
        "We deployed on Friday",
        "Tea or coffee",
    )
    terms = parse_query("deploying scripts")
    # FTS5's own stemming: "deploying" matches "deploy" and "deployed", "scripts" only "scripts".
    assert store.matched_terms(terms, [both, one, none, "no-such-id"]) == {
        both: 2,
        one: 1,
        none: 0,
    }
    assert store.matched_terms((), [both]) == {}
    assert store.matched_terms(terms, []) == {}
