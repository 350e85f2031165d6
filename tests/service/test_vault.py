"""The public API's behaviour, through a real SQLite file."""

from __future__ import annotations

import pytest

from memvault import InvalidInputError, NotFoundError
from memvault.core.errors import ConflictError
from memvault.core.records import MemoryDraft, Verdict
from memvault.service.vault import Vault


def test_remember_then_get_returns_every_field(vault: Vault) -> None:
    outcome = vault.remember(
        "We deploy with make release",
        kind="decision",
        namespace="team",
        tags=["ops", "deploy"],
        importance=0.9,
        confidence=0.7,
        source="meeting 2026-11-20",
        metadata={"ticket": 42},
    )
    assert outcome.created
    memory = vault.get(outcome.id)
    assert memory.content == "We deploy with make release"
    assert (memory.kind, memory.namespace) == ("decision", "team")
    assert set(memory.tags) == {"ops", "deploy"}
    assert (memory.importance, memory.confidence) == (0.9, 0.7)
    assert memory.source == "meeting 2026-11-20"
    assert memory.metadata == {"ticket": 42}
    assert memory.is_current and memory.valid_from == memory.created_at


def test_same_content_same_namespace_returns_existing_id(vault: Vault) -> None:
    first = vault.remember("The API key lives in the vault")
    again = vault.remember("  The API key lives in the vault  ")
    other_namespace = vault.remember("The API key lives in the vault", namespace="other")
    assert again.id == first.id and not again.created
    assert other_namespace.created and other_namespace.id != first.id
    assert vault.stats().memories == 2


def test_get_counts_accesses(vault: Vault) -> None:
    memory_id = vault.remember("counted").id
    vault.get(memory_id)
    seen = vault.get(memory_id)
    assert seen.access_count == 2 and seen.accessed_at is not None
    assert vault.get(memory_id, touch=False).access_count == 2


def test_update_changes_content_and_reindexes(vault: Vault) -> None:
    memory_id = vault.remember("uses postgres for the queue").id
    updated = vault.update(memory_id, content="uses sqlite for the queue", tags=["infra"])
    assert updated.content == "uses sqlite for the queue" and updated.tags == ("infra",)
    assert [h.memory.id for h in vault.search("sqlite", mode="keyword")] == [memory_id]
    assert vault.search("postgres", mode="keyword") == []
    assert vault.check().ok


def test_update_into_duplicate_content_is_a_conflict(vault: Vault) -> None:
    vault.remember("alpha")
    beta = vault.remember("beta").id
    with pytest.raises(ConflictError):
        vault.update(beta, content="alpha")
    assert vault.get(beta).content == "beta"


def test_forget_removes_memory_edges_and_index_rows(vault: Vault) -> None:
    a = vault.remember("forgettable fact").id
    b = vault.remember("kept fact").id
    vault.relate(a, b)
    vault.validate(a, "confirm")
    vault.forget(a)
    with pytest.raises(NotFoundError):
        vault.get(a)
    assert vault.search("forgettable", mode="keyword") == []
    assert vault.neighbours(b) == []
    stats = vault.stats()
    assert (stats.memories, stats.edges, stats.validation_events) == (1, 0, 0)
    assert vault.check().ok
    with pytest.raises(NotFoundError):
        vault.forget(a)


def test_supersede_keeps_history_out_of_default_search(vault: Vault) -> None:
    old = vault.remember("The staging host is alpha.internal").id
    new = vault.revise(old, "The staging host is beta.internal").id
    old_memory = vault.get(old)
    assert old_memory.valid_to is not None and old_memory.superseded_by == new
    assert [h.memory.id for h in vault.search("staging host", mode="keyword")] == [new]
    assert {
        h.memory.id for h in vault.search("staging host", include_superseded=True, mode="keyword")
    } == {
        old,
        new,
    }
    (neighbour,) = vault.neighbours(new)
    assert neighbour.memory.id == old and neighbour.edge.relation == "supersedes"
    assert vault.remember("The staging host is alpha.internal").id != old  # history may repeat


def test_validation_moves_confidence_by_the_documented_rule(vault: Vault) -> None:
    memory_id = vault.remember("tests run with make test", confidence=0.5).id
    confirmed = vault.validate(memory_id, "confirm", actor="agent-1")
    assert confirmed.confidence_after == pytest.approx(0.65)
    refuted = vault.validate(memory_id, Verdict.REFUTE, note="it is make check")
    assert refuted.confidence_before == pytest.approx(0.65)
    assert vault.get(memory_id).confidence == pytest.approx(0.325)
    history = vault.validation_history(memory_id)
    assert [e.verdict for e in history] == [Verdict.CONFIRM, Verdict.REFUTE]
    with pytest.raises(InvalidInputError):
        vault.validate(memory_id, "maybe")


def test_neighbours_walks_both_directions_to_depth(vault: Vault) -> None:
    a, b, c, d = (vault.remember(f"node {name}").id for name in "abcd")
    vault.relate(a, b)
    vault.relate(c, b, "derived_from")
    vault.relate(c, d)
    assert {n.memory.id for n in vault.neighbours(b)} == {a, c}
    deeper = vault.neighbours(a, depth=3)
    assert [(n.memory.id, n.depth) for n in deeper] == [(b, 1), (c, 2), (d, 3)]
    assert [n.memory.id for n in vault.neighbours(b, relation="derived_from")] == [c]


def test_relate_unknown_memory_is_not_found(vault: Vault) -> None:
    a = vault.remember("lonely").id
    with pytest.raises(NotFoundError):
        vault.relate(a, "01900000-0000-7000-8000-000000000000")


def test_list_filters_and_orders_newest_first(vault: Vault) -> None:
    vault.remember_many(
        [
            MemoryDraft("one", kind="fact", tags=("x",)),
            MemoryDraft("two", kind="lesson", tags=("x", "y")),
            MemoryDraft("three", kind="lesson", namespace="other"),
        ]
    )
    assert [m.content for m in vault.list()] == ["three", "two", "one"]
    assert [m.content for m in vault.list(kinds=["lesson"])] == ["three", "two"]
    assert [m.content for m in vault.list(tags=["x", "y"])] == ["two"]
    assert [m.content for m in vault.list(namespace="other")] == ["three"]
    assert [m.content for m in vault.list(limit=1, offset=1)] == ["two"]


def test_remember_many_is_all_or_nothing(vault: Vault) -> None:
    with pytest.raises(InvalidInputError):
        vault.remember_many([MemoryDraft("fine"), MemoryDraft("   ")])
    assert vault.stats().memories == 0


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        ("", {}, "content is empty"),
        ("x" * 1_000_001, {}, "limit for one memory"),
        ("bad \udcff byte", {}, "not valid UTF-8"),
        ("nul \x00 inside", {}, "NUL"),
        ("ok", {"importance": 1.5}, "importance must be between 0 and 1"),
        ("ok", {"confidence": float("nan")}, "confidence must be between 0 and 1"),
        ("ok", {"kind": "Robert'); DROP TABLE memories;--"}, "kind"),
        ("ok", {"namespace": "../escape"}, "namespace"),
        ("ok", {"tags": [""]}, "tag is empty"),
        ("ok", {"metadata": {"x": float("inf")}}, "metadata"),
    ],
)
def test_bad_input_is_one_clear_error_and_writes_nothing(
    vault: Vault, content: str, options: dict[str, object], message: str
) -> None:
    vault.remember("already here")
    with pytest.raises(InvalidInputError, match=message):
        vault.remember(content, **options)  # type: ignore[arg-type]
    assert vault.stats().memories == 1
    assert vault.check().ok


def test_sql_looking_content_is_stored_verbatim(vault: Vault) -> None:
    text = "Robert'); DROP TABLE memories;-- SELECT * FROM memories"
    memory_id = vault.remember(text).id
    assert vault.get(memory_id).content == text
    assert [h.memory.id for h in vault.search("DROP TABLE memories", mode="keyword")] == [memory_id]


def test_list_sorts_by_importance_and_refuses_an_unknown_order(vault: Vault) -> None:
    vault.remember_many([MemoryDraft("low", importance=0.1), MemoryDraft("high", importance=0.9)])
    assert [m.content for m in vault.list(order="importance")] == ["high", "low"]
    assert [m.content for m in vault.list(order=" Recent ")] == ["high", "low"]
    with pytest.raises(InvalidInputError, match="unknown order 'loudest': use recent, importance"):
        vault.list(order="loudest")
